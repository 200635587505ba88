/**
 * How a download ends: the outcomes, any error as a failure with a code
 * users can act on, and the one event (and log line) each outcome is told
 * by. Apart from download.ts because the manager and the download's phases
 * (_block_loop.ts, _proof_and_commit.ts) speak it too.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
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

/** Tells an outcome: `download-finished`, `download-failed` or `download-cancelled` (stops say nothing). */
export function reportOutcome(
  parts: { events: EventLog; log: Logger },
  game: string,
  outcome: DownloadOutcome,
): void {
  const { events, log } = parts;
  if (outcome.kind === "finished") {
    log.info(`downloaded ${game} (${outcome.bytes} bytes in ${outcome.ms} ms)`);
    events.emit("download-finished", { game, bytes: outcome.bytes, ms: outcome.ms });
  } else if (outcome.kind === "failed") {
    log.error(`download of ${game} failed: ${outcome.code}: ${outcome.message}`);
    events.emit("download-failed", { game, code: outcome.code, message: outcome.message });
  } else if (outcome.kind === "cancelled") {
    events.emit("download-cancelled", { game });
  }
}
