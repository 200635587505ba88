/**
 * Background hashing: one game at a time, so that a disk is read
 * sequentially and the single JS thread stays responsive.
 *
 * Each game state ({@linkcode Entry}) carries a generation that changes with
 * its content; a result computed for an older generation is dropped, and the
 * job of a game that changed is aborted (its already hashed files stay in the
 * hash cache, so the restart is quick). A game whose every block hash is
 * cached is served at once, without reading a file: that is what keeps a
 * restart over unchanged files at the same revision.
 *
 * @module
 */
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import { HashCache } from "./hash_cache.ts";
import { FileChangedError } from "./hasher.ts";
import type { ScannedGame } from "./scan.ts";
import { type CacheOutcome, hashMissing, type Served, serveFromCache } from "./served.ts";

/** The library's state of one game folder. */
export interface Entry {
  scan: ScannedGame;
  /** Changes whenever the game's content (files, version, folder) changes. */
  gen: number;
  served?: Served;
  /** Why this generation cannot be served; retried when the content changes. */
  failed?: string;
}

export interface HashWorkerOptions {
  stateDir: string;
  blockSize: number;
  log: Logger;
  /** The current state of a game (the worker never keeps its own). */
  entryOf(id: string): Entry | undefined;
  /** Called after a game's state changed (served or failed). */
  onSettled(): Promise<void>;
  /** Called when a file no longer matches its scan: the game needs a rescan. */
  onFileChanged(id: string): void;
}

interface Job {
  id: string;
  gen: number;
  ctrl: AbortController;
}

export class HashWorker {
  readonly #o: HashWorkerOptions;
  #queue = new Set<string>();
  #job: Job | null = null;
  #wake: (() => void) | null = null;
  /** Shared by preparation and hashing of a game, so that neither overwrites the other's work. */
  #caches = new Map<string, Promise<HashCache>>();

  constructor(options: HashWorkerOptions) {
    this.#o = options;
  }

  /** Whether the game is queued or being hashed. */
  isHashing(id: string): boolean {
    return this.#queue.has(id) || this.#job?.id === id;
  }

  /** Games queued or being hashed. */
  ids(): string[] {
    const ids = new Set(this.#queue);
    if (this.#job) ids.add(this.#job.id);
    return [...ids];
  }

  /** Whether this state of a game still has to be served from cache or hashed. */
  needsWork(entry: Entry): boolean {
    const { scan } = entry;
    if (scan.version === null || scan.error !== undefined || entry.served || entry.failed) {
      return false;
    }
    const job = this.#job;
    return !this.#queue.has(scan.id) && !(job?.id === scan.id && job.gen === entry.gen);
  }

  /** Drops a vanished game from the queue and aborts a job whose game has changed. */
  sync(): void {
    for (const id of this.#queue) if (!this.#o.entryOf(id)) this.#queue.delete(id);
    const job = this.#job;
    if (job && this.#o.entryOf(job.id)?.gen !== job.gen) job.ctrl.abort(new Error("game changed"));
  }

  /** Serves a game from the hash cache when it can, else queues it for hashing. */
  async prepare(entry: Entry): Promise<void> {
    if (!this.needsWork(entry)) return;
    const { scan, gen } = entry;
    const cache = await this.#cacheFor(scan);
    const outcome = serveFromCache(scan, cache, this.#o.blockSize);
    if (this.#o.entryOf(scan.id) !== entry || entry.gen !== gen) return;
    if (outcome.kind === "missing") {
      this.#queue.add(scan.id);
      this.#wake?.();
      return;
    }
    cache.retain(new Set(scan.files.map((f) => f.path)));
    await this.#saveCache(cache);
    this.#settle(entry, outcome);
  }

  /** Hashes queued games until `signal` aborts; an interrupted game keeps its progress on disk. */
  async run(signal: AbortSignal): Promise<void> {
    const buffer = new Uint8Array(this.#o.blockSize);
    const onAbort = () => this.#wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const next = this.#queue.values().next();
        if (next.done) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = null;
          continue;
        }
        this.#queue.delete(next.value);
        try {
          await this.#hashOne(next.value, signal, buffer);
        } catch (error) {
          this.#o.log.error(`hashing ${next.value} failed: ${errorMessage(error)}`);
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #hashOne(id: string, runSignal: AbortSignal, buffer: Uint8Array): Promise<void> {
    const entry = this.#o.entryOf(id);
    if (!entry || !this.needsWork(entry)) return;
    const { scan, gen } = entry;
    const ctrl = new AbortController();
    const stop = () => ctrl.abort(runSignal.reason);
    runSignal.addEventListener("abort", stop, { once: true });
    this.#job = { id, gen, ctrl };
    const current = () => this.#o.entryOf(id) === entry && entry.gen === gen;
    let outcome: CacheOutcome | null = null;
    let cache: HashCache | undefined;
    try {
      cache = await this.#cacheFor(scan);
      this.#o.log.debug(`hashing ${id}`);
      await hashMissing(scan, cache, this.#o.blockSize, ctrl.signal, buffer);
      cache.retain(new Set(scan.files.map((f) => f.path)));
      outcome = serveFromCache(scan, cache, this.#o.blockSize);
    } catch (error) {
      if (ctrl.signal.aborted) {
        // Shutdown, or superseded by a newer state that is queued in turn.
      } else if (error instanceof FileChangedError || error instanceof Deno.errors.NotFound) {
        this.#o.onFileChanged(id);
      } else {
        outcome = { kind: "failed", reason: `cannot hash: ${errorMessage(error)}` };
      }
    } finally {
      runSignal.removeEventListener("abort", stop);
      this.#job = null;
      // Also when interrupted: the files hashed so far need not be read again.
      if (cache) await this.#saveCache(cache);
    }
    if (outcome && current()) {
      this.#settle(entry, outcome);
      await this.#o.onSettled();
    }
  }

  #settle(entry: Entry, outcome: CacheOutcome): void {
    if (outcome.kind === "served") {
      entry.served = outcome.served;
      // Saved on disk by now; in memory the manifest bytes take its place.
      this.#caches.delete(entry.scan.id);
    } else if (outcome.kind === "failed") {
      entry.failed = outcome.reason;
      this.#o.log.warn(`${entry.scan.id} cannot be offered: ${outcome.reason}`);
    }
  }

  /**
   * Takes block hashes someone else already verified (a download) for the
   * files of `scan` whose size matches, so the game is served at once
   * instead of being read and hashed again.
   */
  async adopt(scan: ScannedGame, files: { path: string; size: number; blocks: string[] }[]) {
    const cache = await this.#cacheFor(scan);
    const known = new Map(files.map((f) => [f.path, f]));
    for (const file of scan.files) {
      const hashed = known.get(file.path);
      if (hashed && hashed.size === file.size) cache.set(file.path, file, hashed.blocks);
    }
    await this.#saveCache(cache);
  }

  /** Drops the cached hashes of `path`, so that the next preparation hashes that file again. */
  async forget(scan: ScannedGame, path: string): Promise<void> {
    const cache = await this.#cacheFor(scan);
    cache.forget(path);
    await this.#saveCache(cache);
  }

  #cacheFor(scan: ScannedGame): Promise<HashCache> {
    const previous = this.#caches.get(scan.id);
    const next = (async () => {
      const cache = await previous;
      if (cache && cache.dir === scan.dir) return cache;
      const { stateDir, blockSize, log } = this.#o;
      return HashCache.load(stateDir, scan.id, scan.dir, blockSize, log);
    })();
    this.#caches.set(scan.id, next);
    return next;
  }

  async #saveCache(cache: HashCache): Promise<void> {
    try {
      await cache.save();
    } catch (error) {
      this.#o.log.warn(`cannot store the hash cache of ${cache.game}: ${errorMessage(error)}`);
    }
  }
}
