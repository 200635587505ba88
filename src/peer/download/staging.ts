/**
 * Where a download's bytes land before they are trusted: a staging folder
 * inside the game folder, `<games>/<id>/.lanspread-download/`, which is
 * never shared or listed (DESIGN §3). The old version beside it stays whole
 * and usable until the new one is complete and verified.
 *
 * Writes go to the block's offset in its staging file. Deno has no pwrite,
 * so writes to one file are serialized (seek + write must not interleave);
 * different files are written concurrently. Writes are not synced one by
 * one: `flush` makes everything written so far durable, and the download
 * records which blocks were flushed (see progress.ts). Of many small files
 * only a few stay open; one closed for another is synced on its way out.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Manifest } from "../../wire/protocol.ts";
import { errorMessage } from "../../common/errors.ts";

export const STAGING_DIR = ".lanspread-download";

/** Native path of a manifest path below `root` (paths are checked by parseManifest). */
export function nativePath(root: string, path: string): string {
  return join(root, ...path.split("/"));
}

/** True for a write that failed because the disk is full. */
export function isDiskFull(error: unknown): boolean {
  return /ENOSPC|No space left|os error 28|disk full|quota/i.test(errorMessage(error));
}

interface OpenFile {
  handle: Deno.FsFile | null;
  chain: Promise<void>;
  /** Writes queued or running: a file with any is never evicted. */
  pending: number;
  dirty: boolean;
  lastUse: number;
  /** Where the handle's cursor is, so sequential writes skip the seek. */
  position: number;
}

/** Options for {@linkcode Staging}. */
export interface StagingOptions {
  /** Files kept open at once (many small files cycle through). @default {64} */
  maxOpenFiles?: number;
}

export class Staging {
  readonly root: string;
  #manifest: Manifest;
  #open = new Map<number, OpenFile>();
  #maxOpen: number;
  #uses = 0;
  /** Folders known to exist below the root. */
  #dirs = new Set<string>();
  /** Evicted dirty files being synced before their close: flush waits for them. */
  #closing = new Set<Promise<void>>();

  constructor(gameDir: string, manifest: Manifest, options: StagingOptions = {}) {
    this.root = join(gameDir, STAGING_DIR, "files");
    this.#manifest = manifest;
    this.#maxOpen = options.maxOpenFiles ?? 64;
  }

  /** Native path of staging file `file` (index into the manifest). */
  pathOf(file: number): string {
    return nativePath(this.root, this.#manifest.files[file]!.path);
  }

  /**
   * Readies the staging folder: a fresh download starts from nothing (what an
   * earlier attempt left is removed); a resumed one keeps its files. Files
   * are created on their first write, so a game of thousands of small files
   * does not pay for them twice.
   */
  async prepare(fresh: boolean): Promise<void> {
    if (fresh) await Deno.remove(this.root, { recursive: true }).catch(() => {});
    await Deno.mkdir(this.root, { recursive: true });
  }

  /** Creates the files no write created (empty files) and syncs everything. */
  async complete(): Promise<void> {
    for (let i = 0; i < this.#manifest.files.length; i++) {
      if (this.#manifest.files[i]!.size > 0) continue;
      const path = this.pathOf(i);
      await this.#mkdirFor(path);
      (await Deno.open(path, { write: true, create: true })).close();
    }
    await this.flush();
  }

  async #mkdirFor(path: string): Promise<void> {
    const dir = dirname(path);
    if (this.#dirs.has(dir)) return;
    await Deno.mkdir(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /** Writes `bytes` at `offset` of staging file `file`. */
  write(file: number, offset: number, bytes: Uint8Array): Promise<void> {
    const entry = this.#entry(file);
    entry.pending++;
    const run = entry.chain.then(async () => {
      const open = await this.#handle(file, entry);
      if (entry.position !== offset) await open.seek(offset, Deno.SeekMode.Start);
      entry.position = -1; // unknown until the write completes
      let written = 0;
      while (written < bytes.length) written += await open.write(bytes.subarray(written));
      entry.position = offset + bytes.length;
      entry.dirty = true;
    }).finally(() => entry.pending--);
    entry.chain = run.catch(() => {});
    return run;
  }

  /** Exactly `length` bytes at `offset` of staging file `file`, or null when missing or short. */
  async read(file: number, offset: number, length: number): Promise<Uint8Array | null> {
    try {
      using handle = await Deno.open(this.pathOf(file), { read: true });
      await handle.seek(offset, Deno.SeekMode.Start);
      const bytes = new Uint8Array(length);
      for (let got = 0; got < length;) {
        const n = await handle.read(bytes.subarray(got));
        if (n === null) return null;
        got += n;
      }
      return bytes;
    } catch {
      return null;
    }
  }

  /** Makes every write so far durable (fsync), open files and evicted ones alike. */
  async flush(): Promise<void> {
    const open = [...this.#open.values()];
    await Promise.all(open.map(async (entry) => {
      await entry.chain;
      if (!entry.dirty || !entry.handle) return;
      entry.dirty = false;
      await entry.handle.syncData();
    }));
    await Promise.all([...this.#closing]);
  }

  /** Waits for pending writes, syncs and closes every file. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    for (const entry of this.#open.values()) closeQuietly(entry.handle);
    this.#open.clear();
  }

  /** Removes the staging folder and everything in it. */
  async remove(): Promise<void> {
    await this.close();
    await Deno.remove(join(this.root, ".."), { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  #entry(file: number): OpenFile {
    let entry = this.#open.get(file);
    if (!entry) {
      entry = {
        handle: null,
        chain: Promise.resolve(),
        pending: 0,
        dirty: false,
        lastUse: 0,
        position: -1,
      };
      this.#open.set(file, entry);
    }
    entry.lastUse = ++this.#uses;
    return entry;
  }

  async #handle(file: number, entry: OpenFile): Promise<Deno.FsFile> {
    if (entry.handle) return entry.handle;
    this.#evict();
    const path = this.pathOf(file);
    await this.#mkdirFor(path);
    entry.handle = await Deno.open(path, { write: true, create: true });
    entry.position = 0;
    return entry.handle;
  }

  /**
   * Closes the least recently used idle files beyond the limit. Only files
   * with no write queued are closed, and nothing here waits on another
   * file's writes (two files evicting each other must not deadlock). A dirty
   * file is synced in the background before its close, and flush waits for
   * that: syncing through the handle we have costs no second open.
   */
  #evict(): void {
    const withHandle = [...this.#open.entries()].filter(([, e]) => e.handle);
    const excess = withHandle.length - this.#maxOpen + 1;
    if (excess <= 0) return;
    const idle = withHandle.filter(([, e]) => e.pending === 0);
    idle.sort((a, b) => a[1].lastUse - b[1].lastUse);
    for (const [index, entry] of idle.slice(0, excess)) {
      this.#open.delete(index);
      const handle = entry.handle!;
      const closing = (entry.dirty ? handle.syncData() : Promise.resolve())
        .finally(() => closeQuietly(handle));
      this.#closing.add(closing);
      closing.catch(() => {}).finally(() => this.#closing.delete(closing));
    }
  }
}

function closeQuietly(handle: Deno.FsFile | null): void {
  try {
    handle?.close();
  } catch {
    // Already closed.
  }
}
