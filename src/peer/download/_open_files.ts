/**
 * The staging files open for writing (staging.ts): a bounded set of handles,
 * the writes queued on each, and what it takes to make them durable. Deno
 * has no pwrite, so writes to one file are serialized (seek + write must not
 * interleave); different files are written concurrently. Of many small files
 * only a few stay open; one closed for another is synced on its way out.
 * Separate from staging.ts, which knows the paths and the stamps: this is
 * the handle cache alone.
 *
 * @module
 */

interface OpenFile {
  file: number;
  handle: Deno.FsFile | null;
  chain: Promise<void>;
  /** Writes queued or running: a file with any is never evicted. */
  pending: number;
  /** Where the handle's cursor is, so sequential writes skip the seek. */
  position: number;
}

/** What the open files are made with. */
export interface OpenFilesParts {
  /** Opens file `file` for writing, creating it (and its folder) when missing. */
  open: (file: number) => Promise<Deno.FsFile>;
}

/** Options for {@linkcode OpenFiles}. */
export interface OpenFilesOptions {
  /** Files kept open at once (many small files cycle through). */
  maxOpen: number;
}

export class OpenFiles {
  #p: OpenFilesParts;
  #o: OpenFilesOptions;
  #open = new Map<number, OpenFile>();
  /** Entries holding an open handle. */
  #handles = 0;
  /** Files written since the last flush (open or evicted). */
  #dirty = new Set<number>();
  /** Evicted dirty files being synced before their close: flush waits for them. */
  #closing = new Set<Promise<void>>();

  constructor(parts: OpenFilesParts, options: OpenFilesOptions) {
    this.#p = parts;
    this.#o = options;
  }

  /** Writes `bytes` at `offset` of file `file`. */
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
      this.#dirty.add(file);
    }).finally(() => entry.pending--);
    entry.chain = run.catch(() => {});
    return run;
  }

  /**
   * Makes every write so far durable (fsync), open files and evicted ones
   * alike, and returns the files written since the last flush.
   */
  async flush(): Promise<number[]> {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(dirty.map(async (file) => {
      const entry = this.#open.get(file);
      if (!entry) return; // evicted: synced on its way out, awaited below
      await entry.chain;
      if (entry.handle) await entry.handle.syncData();
    }));
    await Promise.all([...this.#closing]);
    return dirty;
  }

  /** Closes every file, without waiting for anything (flush first). */
  closeAll(): void {
    for (const entry of this.#open.values()) closeQuietly(entry.handle);
    this.#open.clear();
    this.#handles = 0;
  }

  /** The entry of `file`, moved to the end of the map: the map's order is least recent first. */
  #entry(file: number): OpenFile {
    let entry = this.#open.get(file);
    if (entry) this.#open.delete(file);
    else entry = { file, handle: null, chain: Promise.resolve(), pending: 0, position: -1 };
    this.#open.set(file, entry);
    return entry;
  }

  async #handle(file: number, entry: OpenFile): Promise<Deno.FsFile> {
    if (entry.handle) return entry.handle;
    this.#evict();
    entry.handle = await this.#p.open(file);
    this.#handles++;
    entry.position = 0;
    return entry.handle;
  }

  /**
   * Closes the least recently used idle files beyond the limit. Only files
   * with no write queued are closed, and nothing here waits on another
   * file's writes (two files evicting each other must not deadlock). A file
   * is synced in the background before its close, and flush waits for
   * that: syncing through the handle we have costs no second open. Its
   * entry goes too, so that a game of many files keeps no state per file.
   */
  #evict(): void {
    let excess = this.#handles - this.#o.maxOpen + 1;
    // Least recently used first; nothing is copied or sorted per file opened.
    for (const entry of this.#open.values()) {
      if (excess <= 0) return;
      if (!entry.handle || entry.pending > 0) continue;
      this.#open.delete(entry.file);
      this.#handles--;
      excess--;
      const handle = entry.handle;
      const closing = handle.syncData().finally(() => closeQuietly(handle));
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
