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

/** The file on disk is not the one that was scanned (size or mtime differ, or it shrank). */
export class FileChangedError extends Error {
  override name = "FileChangedError";
}

/** What the scan saw; the file must still match it to be hashed. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** Number of blocks of a file: ceil(size / blockSize), 0 for an empty file. */
export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** SHA-256 of `bytes` as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checkStamp(info: Deno.FileInfo, expected: FileStamp, path: string): void {
  const mtimeMs = info.mtime?.getTime() ?? 0;
  if (!info.isFile || info.size !== expected.size || mtimeMs !== expected.mtimeMs) {
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
  // Catches writes that happened while we read (the size or mtime moves).
  checkStamp(await file.stat(), expected, path);
  return blocks;
}
