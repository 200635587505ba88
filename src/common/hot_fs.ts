/**
 * File system reads that are synchronous while the inodes are hot. A
 * synchronous `lstat` or `readDir` on a cached inode takes microseconds,
 * while its async twin hands off to a pool thread and back, which on a VM
 * costs more than the call itself: a rescan of 50,000 files took 3.5 times
 * the CPU with async calls. A call that takes long met a cold inode (the
 * first scan, an evicted cache, a slow disk); from then on the reader uses
 * async calls, which callers issue in parallel so that the disk can order
 * its reads, and the event loop never waits on a seek again. Loops of
 * synchronous calls are paced (async.ts `Pacer`).
 *
 * @module
 */
import { Pacer } from "./async.ts";

/** Options for {@linkcode HotFs}. */
export interface HotFsOptions {
  /**
   * A synchronous call longer than this met the disk: go async. A cached
   * `lstat` takes microseconds, a disk seek several milliseconds; a
   * garbage collection in between may take a few. @default {4}
   */
  coldMs?: number;
  /** The clock (tests). @default {performance.now} */
  now?: () => number;
}

export class HotFs {
  readonly #coldMs: number;
  readonly #now: () => number;
  readonly #pacer: Pacer;
  #cold = false;

  constructor(options: HotFsOptions = {}) {
    this.#coldMs = options.coldMs ?? 4;
    this.#now = options.now ?? (() => performance.now());
    this.#pacer = new Pacer({ now: this.#now });
  }

  /** Whether a call met a cold inode: every later call is async. */
  get cold(): boolean {
    return this.#cold;
  }

  lstat(path: string): Promise<Deno.FileInfo> {
    return this.#call(() => Deno.lstatSync(path), () => Deno.lstat(path), () => 0);
  }

  /** The entries of the folder `path`, all at once. */
  readDir(path: string): Promise<Deno.DirEntry[]> {
    return this.#call(
      () => [...Deno.readDirSync(path)],
      () => Array.fromAsync(Deno.readDir(path)),
      // A cached folder lists at about 1 µs an entry: a big one is not a cold one.
      (entries) => entries.length * 0.005,
    );
  }

  /** `sync` while hot, else `async`; `allowMs` is time the answer may take on top of coldMs. */
  async #call<T>(
    sync: () => T,
    async: () => Promise<T>,
    allowMs: (answer: T) => number,
  ): Promise<T> {
    if (this.#cold) return await async();
    await this.#pacer.breathe();
    if (this.#cold) return await async(); // another call met the disk meanwhile
    const start = this.#now();
    let answer: T;
    try {
      answer = sync();
    } catch (error) {
      if (this.#now() - start > this.#coldMs) this.#cold = true;
      throw error;
    }
    if (this.#now() - start > this.#coldMs + allowMs(answer)) this.#cold = true;
    return answer;
  }
}
