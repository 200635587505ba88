/**
 * HTTP status codes for lanspread's error codes (RFC 9110 §15), and the one
 * error body every route answers with: `{code, message}`.
 *
 * @module
 */
import { type ErrorCode, errorCode, errorMessage, LanspreadError } from "../common/errors.ts";

/** A status that fits each code: the client's fault (4xx) or ours/the LAN's (5xx). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  "bad-request": 400,
  unauthorized: 401,
  "not-found": 404,
  busy: 409,
  installed: 409,
  "not-installed": 409,
  "not-downloaded": 409,
  conflict: 409,
  "files-in-use": 409,
  "not-ours": 409,
  "too-large": 413,
  "corrupt-archive": 422,
  "password-required": 422,
  "unsafe-archive": 422,
  internal: 500,
  "io-error": 500,
  unsupported: 501,
  "version-mismatch": 502,
  "bad-manifest": 502,
  unreachable: 502,
  "shutting-down": 503,
  timeout: 504,
  "disk-full": 507,
};

/** An error raised by the HTTP layer itself, with a status its code alone does not give. */
export class HttpError extends LanspreadError {
  override name = "HttpError";
  constructor(readonly status: number, code: ErrorCode, message: string) {
    super(code, message);
  }
}

/** The `{code, message}` body of an error. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** Status and body for anything thrown. */
export function describeError(error: unknown): { status: number; body: ErrorBody } {
  const code = errorCode(error);
  const status = error instanceof HttpError ? error.status : HTTP_STATUS[code];
  const message = code === "internal" && !(error instanceof LanspreadError)
    ? `internal error: ${errorMessage(error)}`
    : errorMessage(error);
  return { status, body: { code, message } };
}
