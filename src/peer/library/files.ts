/**
 * The file accesses that serve peers: resolving a shared path without leaving
 * the game folder, and reading one block of a file that must still be the
 * one that was hashed.
 *
 * @module
 */
import { join, sep } from "node:path";
import { checkStamp, type FileStamp, readFully } from "./hasher.ts";

/** Whether the real path `path` lies strictly inside the real folder `root`. */
export function isInside(path: string, root: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of the shared file `rel` of the game folder `dir` (real path
 * `realDir`), or null when it resolves outside that folder (a symlink, or a
 * folder swapped for one since the scan). Rejects with NotFound when absent.
 */
export async function resolveInside(
  dir: string,
  realDir: string,
  rel: string,
): Promise<string | null> {
  const real = await Deno.realPath(join(dir, ...rel.split("/")));
  return isInside(real, realDir) ? real : null;
}

/*
 * Serving uses synchronous metadata calls. A served file's inode is hot
 * (the scan stats every file each 30 s), so each call costs microseconds,
 * while an async one hands off to a pool thread and back, which on a VM
 * costs more than the call; a game of small files makes thousands of them.
 * Reads, which may wait on the disk, stay asynchronous.
 */

/** {@linkcode resolveInside} for a file being served; throws NotFound when absent. */
export function resolveInsideSync(dir: string, realDir: string, rel: string): string | null {
  const real = Deno.realPathSync(join(dir, ...rel.split("/")));
  return isInside(real, realDir) ? real : null;
}

/**
 * Opens the file at `path`, which must still have the stamp `stamp` (size,
 * times, inode; otherwise throws {@linkcode FileChangedError}), and moves to
 * `offset`. Reads through the handle read that very file, whatever happens
 * to the path meanwhile.
 */
export function openChecked(path: string, stamp: FileStamp, offset: number): Deno.FsFile {
  const file = Deno.openSync(path, { read: true });
  try {
    checkStamp(file.statSync(), stamp, path);
    if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Exactly `length` bytes from the current position of `file` (opened with
 * {@linkcode openChecked}; `path` names it in errors); a file shorter than
 * that changed since it was hashed. `allocate` supplies the buffer (reuse).
 */
export async function readFrom(
  file: Deno.FsFile,
  path: string,
  length: number,
  allocate?: (bytes: number) => ArrayBuffer,
): Promise<Uint8Array> {
  const bytes = allocate ? new Uint8Array(allocate(length), 0, length) : new Uint8Array(length);
  await readFully(file, bytes, path);
  return bytes;
}
