/**
 * The one error vocabulary of lanspread: every failure a user, a script or
 * another peer can see carries one of these codes, never a stack trace. The
 * wire protocol uses a subset ({@linkcode WIRE_ERROR_CODES}); the harness,
 * the HTTP API and events use them all. README has the table for users.
 *
 * Each error type extends {@linkcode LanspreadError} with its own `name`, so
 * a code travels with the error from where it happens to where it is shown.
 *
 * @module
 */

/** Every code, with what it means for whoever receives it (README "Error codes"). */
export const ERROR_CODES = {
  "bad-request": "the request itself is wrong (a bad field, id or path); fix it, do not retry",
  "not-found": "no such game, peer, download or block; check the name",
  busy: "another operation on that game runs, or the peer is hashing; retry later",
  unauthorized: "another party (different party key) or a peer that is not who it claims",
  "version-mismatch": "the peer speaks another protocol version; update one of the two",
  unsupported: "this peer does not do that (yet)",
  timeout: "nothing happened within the time asked for",
  unreachable: "the address does not answer",
  "shutting-down": "the peer is stopping; the command was not carried out",
  internal: "a bug: the message says where; please report it",
  "disk-full": "no space left; free some and start again",
  "io-error": "the file system refused a read or write; the message names the file",
  "bad-manifest": "no source sent a valid manifest of that version",
  conflict: "peers offer different contents under one version and no majority decides",
  "files-in-use": "a file of the game is locked (a running game?); it finishes once freed",
  "not-ours": "a folder of that name exists that lanspread did not create; nothing was touched",
  installed: "the game is installed; uninstall it first",
  "not-installed": "the game is not installed",
  "not-downloaded": "the game is not downloaded",
  "corrupt-archive": "an archive is damaged, truncated or misses a volume; download it again",
  "password-required": "an archive is encrypted; lanspread cannot install it",
  "unsafe-archive": "an archive entry would land outside the install folder; refused whole",
  "too-large": "past a documented limit (size, files, expansion ratio); refused",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes a peer may send in an `error` message (protocol version 1). */
export const WIRE_ERROR_CODES = [
  "not-found",
  "busy",
  "bad-request",
  "unauthorized",
  "version-mismatch",
  "internal",
  "unsupported",
  "timeout",
  "unreachable",
] as const satisfies readonly ErrorCode[];
export type WireErrorCode = typeof WIRE_ERROR_CODES[number];

/** Whether `code` is one of ours. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** Base of every error that carries a code. */
export class LanspreadError extends Error {
  override name = "LanspreadError";
  constructor(readonly code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A command (harness, HTTP) that failed for a reason the caller can act on. */
export class CommandError extends LanspreadError {
  override name = "CommandError";
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The code of anything thrown: its own when it has one, else `internal`. */
export function errorCode(error: unknown): ErrorCode {
  return error instanceof LanspreadError ? error.code : "internal";
}
