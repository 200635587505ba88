/**
 * Validation of relative paths and game ids that arrive from the wire.
 *
 * Every path a peer names (in a manifest or a get-block request) is untrusted
 * (README "How peers talk"). A path accepted here is a plain relative POSIX path that, once
 * joined to a game folder, cannot leave it, cannot reach the installed tree
 * (`local/`) or our own transient files (`.lanspread*`), and means the same
 * thing on Linux, macOS and Windows. The scanner applies the same rule to
 * what it shares, so that we never offer a path another peer would refuse.
 *
 * @module
 */
import { GameId, LIMITS } from "../../wire/protocol.ts";
import { PathClashes, portableNameError } from "../../wire/names.ts";

export { PathClashes };

/** Top-level folder of a game that holds its installed tree (never shared). */
export const INSTALLED_DIR = "local";
/** Prefix of our own staging and transient files (never shared). */
export const PRIVATE_PREFIX = ".lanspread";

/**
 * C0 controls, DEL and C1 controls. They have no business in a file name and
 * NUL truncates paths in C APIs.
 */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * A colon makes `C:x` drive-relative and `name:stream` an NTFS alternate data
 * stream on Windows, so no segment may contain one.
 */
const COLON = ":";

/**
 * Why a relative path from the wire is unacceptable, or null when it is fine.
 *
 * Case-insensitive file systems (Windows, macOS) would map `Local/x` into the
 * installed tree, so the `local` and `.lanspread` rules ignore case. Names
 * that cannot exist on Windows (`CON`, `aux.txt`, `name.`) are refused too;
 * paths that clash only in case are a property of a whole list of paths
 * ({@linkcode PathClashes}).
 */
export function wirePathError(path: string): string | null {
  if (typeof path !== "string") return "not a string";
  if (path.length === 0) return "empty path";
  if (path.length > LIMITS.maxPathLength) {
    return `longer than ${LIMITS.maxPathLength} characters`;
  }
  if (!path.isWellFormed()) return "contains a lone surrogate";
  if (CONTROL.test(path)) return "contains a control character";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "absolute path";
  if (/^[A-Za-z]:/.test(path)) return "starts with a drive letter";
  if (path.includes(COLON)) return "contains a colon";
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === "") return "empty segment";
    if (segment === "." || segment === "..") return `'${segment}' segment`;
    if (segment.toLowerCase().startsWith(PRIVATE_PREFIX)) {
      return `segment starts with ${PRIVATE_PREFIX}`;
    }
    const unportable = portableNameError(segment);
    if (unportable) return unportable;
  }
  if (segments[0]!.toLowerCase() === INSTALLED_DIR) return `inside ${INSTALLED_DIR}/`;
  return null;
}

/** Whether `s` is a valid game id (and therefore a valid game folder name). */
export function isGameId(s: unknown): s is string {
  return GameId.safeParse(s).success;
}

/**
 * The order of paths in manifests and scans: UTF-16 code units, the plain
 * `<` of JavaScript strings, identical on every peer.
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
