/**
 * Persistent cache of block hashes, one file per game in the state dir
 * (`<stateDir>/hash-cache/<gameId>.json`), so that a restart does not re-read
 * an unchanged library. An entry is valid only for the exact path and stamp
 * (size, mtime, ctime, inode and device: hasher.ts) it was computed for, and
 * the whole file only for the game folder and block size it was written for.
 * The cache is an optimisation: a corrupt or unreadable file is treated as
 * empty, with a warning; one of the first format (keyed by size and mtime
 * only, `v: 1`) is dropped quietly.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { GameId, Sha256Hex } from "../../wire/protocol.ts";
import type { Logger } from "../../common/log.ts";
import { writeFileAtomic } from "../../common/atomic.ts";
import { type FileStamp, sameStamp } from "./hasher.ts";

const VERSION = 2;
const OrNull = z.number().nullable();
const CacheFile = z.object({
  v: z.literal(VERSION),
  game: GameId,
  dir: z.string(),
  blockSize: z.number().int().positive(),
  // An array, not an object keyed by path: a file may be named "__proto__".
  files: z.array(z.object({
    path: z.string(),
    size: z.number().int().nonnegative(),
    mtimeMs: z.number(),
    ctimeMs: OrNull,
    ino: OrNull,
    dev: OrNull,
    blocks: z.array(Sha256Hex),
  })),
});

interface Entry extends FileStamp {
  blocks: string[];
}

/** Where the cache of `game` lives. */
export function hashCachePath(stateDir: string, game: string): string {
  return join(stateDir, "hash-cache", `${game}.json`);
}

/** Block hashes of one game's files, keyed by path and stamp. */
export class HashCache {
  readonly game: string;
  readonly dir: string;
  readonly blockSize: number;
  #path: string;
  #entries = new Map<string, Entry>();
  /** Changes made, and how many of them are on disk. */
  #changes = 0;
  #saved = 0;

  private constructor(path: string, game: string, dir: string, blockSize: number) {
    this.#path = path;
    this.game = game;
    this.dir = dir;
    this.blockSize = blockSize;
  }

  /** An empty cache that will be saved at `hashCachePath(stateDir, game)`. */
  static empty(stateDir: string, game: string, dir: string, blockSize: number): HashCache {
    return new HashCache(hashCachePath(stateDir, game), game, dir, blockSize);
  }

  /**
   * Loads the cache of `game` for the folder `dir`. A missing file, or one
   * written for another folder or block size, gives an empty cache; a corrupt
   * one too, with a warning.
   */
  static async load(
    stateDir: string,
    game: string,
    dir: string,
    blockSize: number,
    log: Logger,
  ): Promise<HashCache> {
    const cache = HashCache.empty(stateDir, game, dir, blockSize);
    let text: string;
    try {
      text = await Deno.readTextFile(cache.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        log.warn(`hash cache of ${game} unreadable, rehashing: ${(error as Error).message}`);
      }
      return cache;
    }
    let json: unknown;
    let parsed;
    try {
      json = JSON.parse(text);
      parsed = CacheFile.safeParse(json);
    } catch {
      parsed = null;
    }
    // The first format did not know ctime and inode: its entries cannot be trusted.
    if ((json as { v?: unknown } | undefined)?.v === 1) return cache;
    if (!parsed?.success) {
      log.warn(`hash cache of ${game} is corrupt, ignoring it`);
      return cache;
    }
    const data = parsed.data;
    if (data.game !== game || data.dir !== dir || data.blockSize !== blockSize) return cache;
    for (const { path, blocks, ...stamp } of data.files) {
      cache.#entries.set(path, { ...stamp, blocks });
    }
    return cache;
  }

  /** The block hashes of `path` if they were computed for this exact stamp. */
  get(path: string, stamp: FileStamp): string[] | undefined {
    const entry = this.#entries.get(path);
    return entry && sameStamp(entry, stamp) ? entry.blocks : undefined;
  }

  set(path: string, stamp: FileStamp, blocks: string[]): void {
    const { size, mtimeMs, ctimeMs, ino, dev } = stamp;
    this.#entries.set(path, { size, mtimeMs, ctimeMs, ino, dev, blocks });
    this.#changes++;
  }

  /** Forgets the hashes of `path`: its content changed under an unchanged stamp. */
  forget(path: string): void {
    if (this.#entries.delete(path)) this.#changes++;
  }

  /** Forgets files that are no longer shared. */
  retain(paths: ReadonlySet<string>): void {
    for (const path of this.#entries.keys()) {
      if (!paths.has(path)) {
        this.#entries.delete(path);
        this.#changes++;
      }
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Writes the cache atomically when something changed since it was loaded or saved. */
  async save(): Promise<void> {
    const changes = this.#changes;
    if (changes === this.#saved) return;
    const head = { v: VERSION, game: this.game, dir: this.dir, blockSize: this.blockSize };
    // The same JSON as one stringify of {...head, files}, written a few hundred entries at a
    // time: a game of 50,000 files must not cost its whole cache as one string.
    const entries = this.#entries;
    function* json(): Generator<string> {
      yield JSON.stringify(head).slice(0, -1) + ',"files":[';
      let batch: string[] = [];
      let first = true;
      for (const [path, e] of entries) {
        batch.push((first ? "" : ",") + JSON.stringify({ path, ...e }));
        first = false;
        if (batch.length === 512) {
          yield batch.join("");
          batch = [];
        }
      }
      yield batch.join("") + "]}";
    }
    await writeFileAtomic(this.#path, json());
    this.#saved = Math.max(this.#saved, changes);
  }
}
