/**
 * Where a download's bytes land before they are trusted: a staging folder
 * inside the game folder, `<games>/<id>/.lanspread-download/`, which is
 * never shared or listed (README "Where data lives"). The old version beside it stays whole
 * and usable until the new one is complete and verified.
 *
 * The staging folder carries our ownership marker (common/owned_dir.ts): a
 * folder or symlink of that name that we did not make is never written
 * into or emptied. Files are created inside it only, below folders we made.
 *
 * Writes go to the block's offset in its staging file, through a few open
 * handles (_open_files.ts). Writes are not synced one by one: `flush` makes
 * everything written so far durable and returns the stamp of each file it
 * flushed, which the progress record keeps (see resume_state.ts): on resume
 * a file whose stamp still matches is trusted, any other is hashed again.
 *
 * @module
 */
import { dirname, join, sep as SEP } from "node:path";
import type { Manifest } from "../../wire/download_schemas.ts";
import { errorMessage } from "../../common/errors.ts";
import { Pacer } from "../../common/async.ts";
import {
  claimDir,
  lstatOrNull,
  lstatSyncOrNull,
  NotOursError,
  removeOwned,
} from "../../common/owned_dir.ts";
import { OpenFiles } from "./_open_files.ts";

export const STAGING_DIR = ".lanspread-download";

/** Native path of a manifest path below `root` (paths are checked by parseManifest). */
export function nativePath(root: string, path: string): string {
  // Checked paths have no empty, "." or ".." segments: joining needs no normalising,
  // which for a game of 50,000 files is hundreds of MB of garbage strings.
  return root + SEP + (SEP === "/" ? path : path.replaceAll("/", SEP));
}

/** True for a write that failed because the disk is full. */
export function isDiskFull(error: unknown): boolean {
  return /ENOSPC|No space left|os error 28|disk full|quota/i.test(errorMessage(error));
}

/**
 * What identifies a file's content without reading it: any write changes
 * the size, mtime or ctime, and ctime cannot be set back by `touch` or
 * `cp -p`; the inode tells a replaced file. Null fields are unknown on this
 * platform and compare equal.
 */
export interface Stamp {
  size: number;
  mtimeMs: number | null;
  ctimeMs: number | null;
  ino: number | null;
}

export function stampOf(info: Deno.FileInfo): Stamp {
  return {
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? null,
    ctimeMs: info.ctime?.getTime() ?? null,
    ino: info.ino,
  };
}

export function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs &&
    a.ino === b.ino;
}

/** Options for {@linkcode Staging}. */
export interface StagingOptions {
  /** Files kept open at once (many small files cycle through). @default {64} */
  maxOpenFiles?: number;
}

export class Staging {
  /** The staging folder, `<game>/.lanspread-download`. */
  readonly dir: string;
  /** Where the files go, below `dir`. */
  readonly root: string;
  #manifest: Manifest;
  #files: OpenFiles;
  /** Folders known to exist below the root. */
  #dirs = new Set<string>();

  constructor(gameDir: string, manifest: Manifest, options: StagingOptions = {}) {
    this.dir = join(gameDir, STAGING_DIR);
    this.root = join(this.dir, "files");
    this.#manifest = manifest;
    const open = (file: number) => this.#openForWrite(file);
    this.#files = new OpenFiles({ open }, { maxOpen: options.maxOpenFiles ?? 64 });
  }

  /** Native path of staging file `file` (index into the manifest). */
  pathOf(file: number): string {
    return nativePath(this.root, this.#manifest.files[file]!.path);
  }

  /**
   * Readies the staging folder: claims it (throws NotOursError for a folder
   * or link of that name we did not make); a fresh download starts from
   * nothing (what an earlier attempt left is removed); a resumed one keeps
   * its files. Files are created on their first write.
   */
  async prepare(fresh: boolean): Promise<void> {
    await Deno.mkdir(dirname(this.dir), { recursive: true });
    await claimDir(this.dir);
    const files = await lstatOrNull(this.root);
    if (files && (fresh || !files.isDirectory)) await Deno.remove(this.root, { recursive: true });
    await Deno.mkdir(this.root, { recursive: true });
  }

  /**
   * Gives every file its exact manifest size (empty files are created, a
   * file left longer by an earlier version is cut), makes all durable, and
   * returns every file's stamp now, by file index. A file shorter than its
   * manifest size was damaged: throws.
   */
  async complete(): Promise<Map<number, Stamp>> {
    await this.flush();
    const stamps = new Map<number, Stamp>();
    const pacer = new Pacer();
    for (let i = 0; i < this.#manifest.files.length; i++) {
      await pacer.breathe();
      const { size, path } = this.#manifest.files[i]!;
      const native = this.pathOf(i);
      const info = lstatSyncOrNull(native); // hot: written by this download
      if (info && info.isFile && info.size === size) {
        stamps.set(i, stampOf(info));
        continue;
      }
      if (size > 0 && (!info?.isFile || info.size < size)) {
        throw new Error(`staged ${path} is shorter than ${size} bytes`);
      }
      await this.#mkdirFor(native);
      using file = await Deno.open(native, { write: true, create: true });
      await file.truncate(size);
      await file.syncData();
      stamps.set(i, stampOf(await file.stat()));
    }
    return stamps;
  }

  /** Opens staging file `file` for writing, creating it and its folder when missing. */
  async #openForWrite(file: number): Promise<Deno.FsFile> {
    const path = this.pathOf(file);
    await this.#mkdirFor(path);
    return await Deno.open(path, { write: true, create: true });
  }

  async #mkdirFor(path: string): Promise<void> {
    const dir = dirname(path);
    if (this.#dirs.has(dir)) return;
    await Deno.mkdir(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /** Writes `bytes` at `offset` of staging file `file`. */
  write(file: number, offset: number, bytes: Uint8Array): Promise<void> {
    return this.#files.write(file, offset, bytes);
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

  /**
   * The stamp of staging file `file`, or null when it is missing or not a
   * file. Synchronous, so cheap on the hot inodes of a download (see
   * Pacer); loops over many files pace themselves.
   */
  stamp(file: number): Stamp | null {
    try {
      const info = lstatSyncOrNull(this.pathOf(file));
      return info?.isFile ? stampOf(info) : null;
    } catch {
      return null; // unreadable: no stamp
    }
  }

  /**
   * Makes every write so far durable (fsync), open files and evicted ones
   * alike, and returns the stamps of the files written since the last flush.
   */
  async flush(): Promise<Map<number, Stamp>> {
    const dirty = await this.#files.flush();
    const stamps = new Map<number, Stamp>();
    const pacer = new Pacer();
    for (const file of dirty) {
      await pacer.breathe();
      const stamp = this.stamp(file);
      if (stamp) stamps.set(file, stamp);
    }
    return stamps;
  }

  /** Makes the given staging files durable (no write of ours is pending on them) and stamps them. */
  async sync(files: Iterable<number>): Promise<Map<number, Stamp>> {
    const stamps = new Map<number, Stamp>();
    for (const file of files) {
      try {
        // Writable: Windows flushes only handles opened for writing.
        using handle = await Deno.open(this.pathOf(file), { write: true });
        await handle.syncData();
      } catch {
        continue; // gone: its blocks were not trusted
      }
      const stamp = this.stamp(file);
      if (stamp) stamps.set(file, stamp);
    }
    return stamps;
  }

  /** Waits for pending writes, syncs and closes every file. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.#files.closeAll();
  }

  /** Removes the staging folder and everything in it (only if it is ours). */
  async remove(): Promise<void> {
    await this.close();
    await removeOwned(this.dir);
  }
}

/**
 * Whether a download may create or update `<games>/<id>`: yes when it does
 * not exist or claims a version (`version.ini`: an update); a folder without
 * one that holds anything besides `local/` and our own `.lanspread*` is a
 * user's (a half copy, saves) and is refused with `not-ours`, untouched.
 */
export async function checkGameFolder(gameDir: string): Promise<void> {
  const info = await Deno.stat(gameDir).catch(() => null);
  if (info === null) return;
  if (!info.isDirectory) throw new NotOursError(gameDir, "is not a folder");
  if (await lstatOrNull(join(gameDir, "version.ini"))) return;
  for await (const entry of Deno.readDir(gameDir)) {
    if (entry.name === "local" || entry.name.toLowerCase().startsWith(".lanspread")) continue;
    throw new NotOursError(gameDir, `holds files lanspread did not write (${entry.name})`);
  }
}
