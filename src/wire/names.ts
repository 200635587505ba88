/**
 * Rules for text that arrives from the wire or from game folders, shared by
 * the wire schemas (protocol.ts), the scanner and the CLI, so that we never
 * offer what other peers refuse.
 *
 * - Text that peers show and log: control characters could forge log lines
 *   or drive a terminal (escape sequences), bidi overrides and isolates
 *   could reorder what a reader sees, and a lone surrogate is not text at
 *   all (it would also take 6 bytes in JSON, past the size bounds of
 *   protocol.ts).
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
