/**
 * The error of the archive layer: a {@linkcode LanspreadError} whose code
 * says what the caller should do (src/common/errors.ts has the meanings).
 *
 * @module
 */
import { type ErrorCode, LanspreadError } from "../common/errors.ts";

/** The codes extraction fails with; `AbortError` (the signal's reason) is thrown as is. */
export type ArchiveErrorCode = Extract<
  ErrorCode,
  | "unsafe-archive"
  | "corrupt-archive"
  | "password-required"
  | "disk-full"
  | "too-large"
  | "io-error"
  | "bad-request"
  | "unsupported"
>;

/** Why an archive cannot be inspected or extracted; `archive` names the set, `entry` the entry. */
export class ArchiveError extends LanspreadError {
  override name = "ArchiveError";
  constructor(
    override readonly code: ArchiveErrorCode,
    message: string,
    readonly archive?: string,
    readonly entry?: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Whether an error from the file system means the disk is full (ENOSPC, or Windows' 112). */
export function isDiskFull(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === "ENOSPC" || /os error (28|112)\b|no space left/i.test(error.message);
}

/** An `io-error` or `disk-full` for a failed file-system call on `what`. */
export function ioError(error: unknown, what: string, archive?: string): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isDiskFull(error)) {
    return new ArchiveError("disk-full", `no space left writing ${what}`, archive, undefined, {
      cause: error,
    });
  }
  return new ArchiveError("io-error", `${what}: ${message}`, archive, undefined, { cause: error });
}
