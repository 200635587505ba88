/**
 * The library's answers to peers: manifests, blocks, and reports of bad
 * blocks. Only offered games whose manifest is built are served, and only
 * the files of that manifest can ever be read.
 *
 * @module
 */
import { type Logger } from "../../common/log.ts";
import { LIMITS } from "../../wire/protocol.ts";
import type { Entry } from "./hash_worker.ts";
import { wirePathError } from "./paths.ts";
import { type BadBlockReport, Rechecks } from "./rechecks.ts";
import { openServedRun, recheckServedBlock, type Served } from "./served.ts";
import { blockCount } from "./hasher.ts";
import {
  type BadBlockAnswer,
  type BlockFailure,
  type ManifestAnswer,
  RETRY_CHANGED_MS,
  RETRY_HASHING_MS,
  type RunAnswer,
} from "./types.ts";

/** What serving needs of the library. */
export interface ServingOptions {
  log: Logger;
  /** The entry of an offered game, or undefined. */
  offered(game: string): Entry | undefined;
  /** A file no longer matches its stamp: the game needs a rescan. */
  markChanged(game: string): void;
  /** The content of `path` changed under an unchanged stamp: hash it again, unless `served` is gone. */
  rehashFile(game: string, path: string, served: Served): Promise<void>;
  /** @default {LIMITS.badBlockRecheckMs} */
  recheckIntervalMs?: number;
}

const notFound = (message: string) => ({ ok: false, code: "not-found", message }) as const;
const busy = (message: string, retryAfterMs: number) =>
  ({ ok: false, code: "busy", message, retryAfterMs }) as const;

export class Serving {
  readonly #o: ServingOptions;
  readonly #rechecks: Rechecks;

  constructor(options: ServingOptions) {
    this.#o = options;
    this.#rechecks = new Rechecks({
      log: options.log,
      intervalMs: options.recheckIntervalMs,
      check: (report) => this.#recheck(report),
    });
  }

  /** Resolves once every re-check queued so far has run. */
  idle(): Promise<void> {
    return this.#rechecks.idle();
  }

  manifest(game: string): ManifestAnswer {
    const entry = this.#o.offered(game);
    if (!entry) return notFound(`no game ${game}`);
    const served = entry.served;
    if (!served) return busy(`${game} is being hashed`, RETRY_HASHING_MS);
    const { hash, version, bytes } = served;
    return { ok: true, hash, version, bytes };
  }

  /** The served game a block request may read, or why not. */
  #servable(game: string, path: string, index: number, count: number): Served | BlockFailure {
    const bad = wirePathError(path);
    if (bad) return { ok: false, code: "bad-request", message: `bad path: ${bad}` };
    if (!Number.isSafeInteger(index) || index < 0) {
      return { ok: false, code: "bad-request", message: "bad block index" };
    }
    if (!Number.isSafeInteger(count) || count < 1 || count > LIMITS.maxBlocksPerRun) {
      return { ok: false, code: "bad-request", message: "bad block count" };
    }
    const entry = this.#o.offered(game);
    if (!entry) return notFound(`no game ${game}`);
    return entry.served ?? busy(`${game} is being hashed`, RETRY_HASHING_MS);
  }

  /**
   * Opens `count` consecutive blocks from `index` for reading piece by piece
   * (fewer at the end of the file): sized at once, read as they are sent.
   */
  openRun(game: string, path: string, index: number, count = 1): RunAnswer {
    const served = this.#servable(game, path, index, count);
    if ("ok" in served) return served;
    const run = openServedRun(served, path, index, count);
    if (run === "absent") return notFound(`no block ${index} of ${game}/${path}`);
    return {
      ok: true,
      count: run.count,
      bytes: run.bytes,
      read: async (length, allocate) => {
        const piece = await run.read(length, allocate);
        if (piece === "changed") {
          this.#o.markChanged(game);
          return busy(`${game}/${path} changed, rehash pending`, RETRY_CHANGED_MS);
        }
        if (piece instanceof Error) {
          return notFound(`cannot read ${game}/${path}: ${piece.message}`);
        }
        return piece;
      },
      close: () => run.close(),
    };
  }

  /**
   * A peer says block `index` of `path` does not match our manifest: the
   * block is read again in the background (rate-limited, rechecks.ts), and
   * when its content changed the file is hashed again and the new manifest
   * published.
   */
  reportBadBlock(game: string, path: string, index: number, reporter: string): BadBlockAnswer {
    const entry = this.#o.offered(game);
    if (!entry) return notFound(`no game ${game}`);
    const file = entry.served?.files.get(path);
    if (entry.served && !file) return notFound(`no file ${path} in ${game}`);
    if (file && !(index < blockCount(file.size, entry.served!.blockSize))) {
      return notFound(`no block ${index} of ${game}/${path}`);
    }
    // While it is (re)hashed there is no manifest to check against: nothing to do.
    if (entry.served) this.#rechecks.report({ game, path, index, reporter });
    return { ok: true };
  }

  async #recheck(report: BadBlockReport): Promise<void> {
    const { game, path, index, reporter } = report;
    const served = this.#o.offered(game)?.served;
    if (!served) return;
    const result = await recheckServedBlock(served, path, index);
    const what = `block ${index} of ${game}/${path}, reported bad by ${reporter},`;
    if (result instanceof Error) this.#o.log.warn(`${what} cannot be read: ${result.message}`);
    else if (result === "good") this.#o.log.info(`${what} matches its hash here`);
    else if (result === "changed") this.#o.markChanged(game);
    if (result !== "bad") return;
    this.#o.log.warn(`${what} no longer matches its hash: hashing the file again`);
    await this.#o.rehashFile(game, path, served);
  }
}
