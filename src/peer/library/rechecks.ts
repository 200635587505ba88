/**
 * Re-checks of blocks a peer reported bad (protocol v2 `report-bad-block`):
 * a downloader found a block of ours that does not match the manifest we
 * served. A file's content can change without anything its stamp notices (a
 * restored state folder, a cache written by an older version, a file system
 * without ctime, bit rot), so the seed reads that block again and compares;
 * when it differs, the library hashes the file again and publishes the new
 * manifest (library.ts).
 *
 * Bounded, so that a peer cannot make us read forever: each peer has each
 * file checked at most once per `intervalMs` (so that one peer's bogus
 * reports cannot silence another's), at most `perInterval` checks start per
 * interval overall, and they run one at a time.
 *
 * @module
 */
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import { LIMITS } from "../../wire/protocol.ts";

/** One report: which block, and who said it was bad (for the log). */
export interface BadBlockReport {
  game: string;
  path: string;
  index: number;
  reporter: string;
}

export interface RechecksOptions {
  /** Reads the block again and acts on the result; runs one at a time. */
  check(report: BadBlockReport): Promise<void>;
  log: Logger;
  /** Time before the same file is checked again. @default {LIMITS.badBlockRecheckMs} */
  intervalMs?: number;
  /** Checks started per interval, all files together. @default {60} */
  perInterval?: number;
  /** @default {Date.now} */
  now?: () => number;
}

/** What became of a report. */
export type RecheckOutcome = "queued" | "recent" | "busy";

export class Rechecks {
  #o: Required<RechecksOptions>;
  /** When each reporter last had each file ("reporter|game/path") queued for a check. */
  #last = new Map<string, number>();
  /** When the checks of the current interval were queued. */
  #starts: number[] = [];
  #chain: Promise<void> = Promise.resolve();

  constructor(options: RechecksOptions) {
    this.#o = {
      ...options,
      intervalMs: options.intervalMs ?? LIMITS.badBlockRecheckMs,
      perInterval: options.perInterval ?? 60,
      now: options.now ?? Date.now,
    };
  }

  /** Queues a check of the reported block unless its reporter had its file checked lately, or we are busy. */
  report(report: BadBlockReport): RecheckOutcome {
    const now = this.#o.now();
    const since = now - this.#o.intervalMs;
    this.#starts = this.#starts.filter((t) => t > since);
    for (const [key, at] of this.#last) if (at <= since) this.#last.delete(key);
    const file = `${report.game}/${report.path}`;
    const key = `${report.reporter}|${file}`;
    const what = `block ${report.index} of ${file} reported bad by ${report.reporter}`;
    if (this.#last.has(key)) {
      this.#o.log.debug(`${what}: it had that file checked less than a minute ago`);
      return "recent";
    }
    if (this.#starts.length >= this.#o.perInterval) {
      this.#o.log.debug(`${what}: too many checks this minute, not checked`);
      return "busy";
    }
    this.#last.set(key, now);
    this.#starts.push(now);
    this.#chain = this.#chain.then(() => this.#o.check(report)).catch((error) =>
      this.#o.log.warn(`checking ${what} failed: ${errorMessage(error)}`)
    );
    return "queued";
  }

  /** Resolves once every check queued so far has run. */
  idle(): Promise<void> {
    return this.#chain;
  }
}
