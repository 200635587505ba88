/**
 * The rules for names inside archives (ARCHITECTURE.md "Install: transactions and recovery", like wire paths in §5):
 * an accepted name is a relative POSIX path that stays inside the
 * destination and means the same file on Linux, macOS and Windows.
 *
 * @module
 */
import type { ArchiveLimits } from "./limits.ts";

/** Prefix of lanspread's own files (a staging folder's ownership marker among them). */
export const RESERVED_PREFIX = ".lanspread";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Device names Windows opens instead of a file, whatever the extension or case. */
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
const encoder = new TextEncoder();

/** A name that may not be written: why, and the result of the check. */
export type PathCheck = { path: string; error?: undefined } | { path?: undefined; error: string };

/**
 * The normalised relative path of an entry named `raw`, or why it is unsafe.
 * Backslashes are separators (zips made on Windows); `.` segments, a leading
 * `./` and a trailing `/` (folders) are dropped. Too long is reported with
 * `tooLong: true` because it is a cap (`too-large`), not an attack.
 */
export function checkEntryPath(
  raw: string,
  limits: Pick<ArchiveLimits, "maxPathLength" | "maxSegmentBytes">,
): PathCheck & { tooLong?: boolean } {
  if (!raw.isWellFormed()) return { error: "contains a lone surrogate" };
  if (CONTROL.test(raw)) return { error: "contains a control character" };
  const slashed = raw.replaceAll("\\", "/");
  if (slashed.startsWith("//")) return { error: "UNC path" };
  if (slashed.startsWith("/")) return { error: "absolute path" };
  if (/^[A-Za-z]:/.test(slashed)) return { error: "drive letter" };
  if (slashed.includes(":")) return { error: "contains a colon (NTFS stream or drive)" };
  const segments = slashed.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0) return { error: "empty name" };
  for (const segment of segments) {
    const why = segmentError(segment);
    if (why) return { error: why };
    if (encoder.encode(segment).length > limits.maxSegmentBytes) {
      return { error: `a name longer than ${limits.maxSegmentBytes} bytes`, tooLong: true };
    }
  }
  const path = segments.join("/");
  if (path.length > limits.maxPathLength) {
    return { error: `longer than ${limits.maxPathLength} characters`, tooLong: true };
  }
  return { path };
}

function segmentError(segment: string): string | null {
  if (segment === "..") return "'..' segment";
  if (segment.toLowerCase().startsWith(RESERVED_PREFIX)) return `reserved name ${RESERVED_PREFIX}*`;
  if (/[. ]$/.test(segment)) return "a name ending in a dot or a space";
  // Windows ignores everything from the first dot, and spaces before it: "con .txt" is CON.
  const stem = segment.split(".")[0]!.trimEnd();
  if (WINDOWS_DEVICES.test(stem)) return `Windows device name ${stem}`;
  return null;
}

/**
 * Why a symbolic link at `linkPath` (normalised) pointing to `target` could
 * lead outside the destination, or null when it cannot.
 *
 * Only leading `..` segments are allowed: a `..` after a named segment could
 * climb out through another link (`a/link/../..` where `link` points deep or
 * shallow), and the kernel resolves it physically, not as written. Leading
 * ones climb real folders (no entry is ever written under a link), at most
 * to the destination itself. Every link obeying this rule resolves inside,
 * so chains of links do too.
 */
export function linkTargetError(linkPath: string, target: string): string | null {
  if (target.length === 0) return "empty link target";
  if (!target.isWellFormed() || CONTROL.test(target)) return "link target with a control character";
  const slashed = target.replaceAll("\\", "/");
  if (slashed.startsWith("/") || /^[A-Za-z]:/.test(slashed) || slashed.includes(":")) {
    return "absolute link target";
  }
  const parts = slashed.split("/").filter((s) => s !== "" && s !== ".");
  let up = 0;
  while (parts[up] === "..") up++;
  const rest = parts.slice(up);
  if (rest.includes("..")) return "link target with '..' after a name";
  const depth = linkPath.split("/").length - 1;
  if (up > depth) return "link target outside the destination";
  const landing = [...linkPath.split("/").slice(0, depth - up), ...rest];
  if (landing.some((s) => s.toLowerCase().startsWith(RESERVED_PREFIX))) {
    return `link target in a reserved name ${RESERVED_PREFIX}*`;
  }
  return null;
}
