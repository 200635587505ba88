/**
 * Block hashing of shared files: SHA-256 of each fixed-size block, in order.
 *
 * node:crypto hashes natively; the file is read block by block into one
 * reused buffer, and every block costs an asynchronous read, so the event
 * loop (QUIC, HTTP, timers) keeps running while a large game is hashed.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The file on disk is not the one that was scanned (its stamp differs, or it shrank). */
export class FileChangedError extends Error {
  override name = "FileChangedError";
}

/**
 * What the scan saw of a file; it must still match to be hashed or served.
 * Size and mtime alone miss content replaced with its mtime put back (`cp
 * -p`, `rsync -t`, `touch -d`, a restored backup); the change time moves on
 * every write and every utime, and a file written anew has another inode.
 * Deno reports ctime to the second only (the report-bad-block re-check of
 * library/rechecks.ts covers the rest).
 */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  /** Change time; null where the platform has none. */
  ctimeMs: number | null;
  /** Inode and device; null where the platform has none. */
  ino: number | null;
  dev: number | null;
}

/** The stamp of a file as `stat` describes it now. */
export function stampOf(info: Deno.FileInfo): FileStamp {
  return {
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? null,
    ino: info.ino ?? null,
    dev: info.dev ?? null,
  };
}

/** Whether two stamps describe the same file content, as far as stamps can tell. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs &&
    a.ino === b.ino && a.dev === b.dev;
}

/** Number of blocks of a file: ceil(size / blockSize), 0 for an empty file. */
export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** SHA-256 of `bytes` as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Throws {@linkcode FileChangedError} unless `info` is a file of stamp `expected`. */
export function checkStamp(info: Deno.FileInfo, expected: FileStamp, path: string): void {
  if (!info.isFile || !sameStamp(stampOf(info), expected)) {
    throw new FileChangedError(`${path} changed since it was scanned`);
  }
}

/** Fills `target` from the current position; a short file means it changed under us. */
export async function readFully(
  file: Deno.FsFile,
  target: Uint8Array,
  path: string,
): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const n = await file.read(target.subarray(filled));
    if (n === null) throw new FileChangedError(`${path} is shorter than expected`);
    filled += n;
  }
}

/** Options for {@linkcode hashFile}. */
export interface HashOptions {
  /** Stops between blocks with the signal's reason. */
  signal?: AbortSignal;
  /** Reused across calls to spare allocations; used when it holds a block (or the whole file). */
  buffer?: Uint8Array;
}

/**
 * The block hashes of the file at `path`, which must still match `expected`
 * before and after reading; otherwise rejects with {@linkcode FileChangedError}.
 */
export async function hashFile(
  path: string,
  expected: FileStamp,
  blockSize: number,
  options: HashOptions = {},
): Promise<string[]> {
  const { signal } = options;
  signal?.throwIfAborted();
  const need = Math.min(blockSize, expected.size);
  const buffer = options.buffer && options.buffer.length >= need
    ? options.buffer
    : new Uint8Array(need);
  using file = await Deno.open(path, { read: true });
  checkStamp(await file.stat(), expected, path);
  const blocks: string[] = [];
  for (let offset = 0; offset < expected.size; offset += blockSize) {
    signal?.throwIfAborted();
    const block = buffer.subarray(0, Math.min(blockSize, expected.size - offset));
    await readFully(file, block, path);
    blocks.push(sha256Hex(block));
  }
  // Catches writes that happened while we read (the stamp moves).
  checkStamp(await file.stat(), expected, path);
  return blocks;
}
