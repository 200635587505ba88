/**
 * Rules for text and names that arrive from the wire or from game folders,
 * shared by the wire schemas (protocol.ts), the scanner and the CLI, so that
 * we never offer what other peers refuse.
 *
 * - Text that peers show and log: control characters could forge log lines
 *   or drive a terminal (escape sequences), bidi overrides and isolates
 *   could reorder what a reader sees, and a lone surrogate is not text at
 *   all (it would also take 6 bytes in JSON, past the size bounds of
 *   protocol.ts).
 * - File and folder names must exist on every system a peer may run on:
 *   Windows reserves device names (CON, NUL, COM1...) in every folder with
 *   any extension, drops trailing dots and spaces, and refuses `<>:"|?*`;
 *   Windows and macOS compare names without case (and macOS without
 *   Unicode normalisation). See "Naming Files, Paths, and Namespaces" in
 *   the Win32 documentation.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// deno-lint-ignore no-control-regex
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

/** Why `text` is not one line of printable text (a name, a version), or null. */
export function lineTextError(text: string): string | null {
  if (!text.isWellFormed()) return "contains a lone surrogate";
  if (CONTROL.test(text)) return "contains a control character";
  if (BIDI.test(text)) return "contains a bidi override";
  return null;
}

/** Why `text` is not printable free text (a description: lines and tabs allowed), or null. */
export function freeTextError(text: string): string | null {
  if (!text.isWellFormed()) return "contains a lone surrogate";
  if (CONTROL_BUT_LINES.test(text)) return "contains a control character";
  return null;
}

/** Device names Windows reserves, alone or before any extension (`nul.tar.gz`). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$) *(\..*)?$/i;
/** Characters Windows refuses in names (besides controls, `/`, `\` and `:`). */
const WINDOWS_FORBIDDEN = /[<>"|?*]/;

/** Why one file or folder name cannot exist on Windows, or null. */
export function portableNameError(name: string): string | null {
  if (RESERVED.test(name)) return `'${name}' is a device name on Windows`;
  if (name.endsWith(".") || name.endsWith(" ")) return "ends in a dot or a space";
  if (WINDOWS_FORBIDDEN.test(name)) return 'contains one of < > " | ? *';
  return null;
}

/**
 * A name as case-insensitive file systems compare it: Unicode NFC (macOS),
 * then each character upper-cased when that gives one character (the simple
 * mapping NTFS uses: "ß" stays, "é" and "É" meet).
 */
export function foldName(name: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\u0000-\u007f]*$/.test(name)) return name.toUpperCase(); // ASCII: one to one
  let out = "";
  for (const c of name.normalize("NFC")) {
    const upper = c.toUpperCase();
    out += upper.length === c.length ? upper : c;
  }
  return out;
}

/**
 * Finds relative paths that would collide on a case-insensitive file
 * system: two that differ only in case or normalisation, a file and a
 * folder of one (folded) name, or one folder spelled two ways. Paths are
 * added in order; the first of a clashing pair wins.
 */
export class PathClashes {
  #seen = new Map<string, { path: string; file: boolean }>();

  /** Why `path` clashes with a path added before, or null (and then it is added). */
  add(path: string): string | null {
    const segments = path.split("/");
    const steps: { exact: string; folded: string; file: boolean }[] = [];
    let exact = "";
    let folded = "";
    for (const [i, segment] of segments.entries()) {
      exact = i === 0 ? segment : `${exact}/${segment}`;
      folded = i === 0 ? foldName(segment) : `${folded}/${foldName(segment)}`;
      const file = i === segments.length - 1;
      const prior = this.#seen.get(folded);
      if (prior) {
        const clash = describeClash(prior, exact, file);
        if (clash) return clash;
      }
      steps.push({ exact, folded, file });
    }
    for (const step of steps) {
      if (!this.#seen.has(step.folded)) {
        this.#seen.set(step.folded, { path: step.exact, file: step.file });
      }
    }
    return null;
  }
}

/** Why a path step `exact` (a file or a folder) clashes with `prior` of the same folded name. */
function describeClash(
  prior: { path: string; file: boolean },
  exact: string,
  file: boolean,
): string | null {
  const same = prior.path === exact;
  if (prior.file === file) {
    if (file) {
      return same ? `duplicate path ${exact}` : `${exact} and ${prior.path} differ only in case`;
    }
    return same ? null : `folders ${exact} and ${prior.path} differ only in case`;
  }
  const [theFile, theFolder] = prior.file ? [prior.path, exact] : [exact, prior.path];
  return same
    ? `${exact} is both a file and a folder`
    : `file ${theFile} and folder ${theFolder} differ only in case`;
}
