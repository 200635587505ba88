/**
 * How a download ends: the outcomes the manager turns into events, and any
 * error as a failure with a code users can act on. Apart from download.ts
 * because the manager and the download's phases (_block_loop.ts,
 * _proof_and_commit.ts) speak it too.
 *
 * @module
 */
import { type ErrorCode, errorMessage, LanspreadError } from "../../common/errors.ts";
import { isDiskFull } from "./staging.ts";

export type DownloadOutcome =
  | { kind: "finished"; bytes: number; ms: number }
  | { kind: "failed"; code: ErrorCode; message: string }
  | { kind: "cancelled" }
  | { kind: "stopped" }
  | { kind: "superseded" };

export class DownloadFailure extends LanspreadError {
  override name = "DownloadFailure";
}

/** Any error as a failure with a code users can act on. */
export function asFailure(error: unknown): LanspreadError {
  if (error instanceof LanspreadError) return error;
  if (isDiskFull(error)) {
    return new DownloadFailure("disk-full", `disk full: ${errorMessage(error)}`);
  }
  return new DownloadFailure("io-error", errorMessage(error));
}
