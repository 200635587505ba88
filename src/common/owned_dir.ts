/**
 * Folders lanspread creates under names reserved for it (`.lanspread*` in a
 * game folder) carry a marker file, so that a folder of that name that we
 * did not make — a user's, or a symlink planted there — is never written
 * into, emptied or deleted (README "Where data lives", ARCHITECTURE.md "Install: transactions and recovery": "a directory with our reserved
 * name but neither our marker nor an intent is never touched").
 *
 * Every check uses `lstat`: a symlink is never followed, whatever it points at.
 *
 * @module
 */
import { join } from "node:path";
import { LanspreadError } from "./errors.ts";

/** The marker file inside an owned folder. */
export const OWNER_FILE = ".lanspread-owner";

/** A folder that exists under a reserved name but is not ours. */
export class NotOursError extends LanspreadError {
  override name = "NotOursError";
  constructor(readonly path: string, why: string) {
    super("not-ours", `${path} ${why}; lanspread leaves it alone (move it away to continue)`);
  }
}

/** What `lstat` says of `path`, or null when nothing is there. */
export async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** {@linkcode lstatOrNull}'s synchronous twin, for inodes known to be hot (see async.ts Pacer). */
export function lstatSyncOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Whether `dir` is a real folder (not a link) carrying our marker. */
export async function isOwned(dir: string): Promise<boolean> {
  const info = await lstatOrNull(dir);
  if (!info?.isDirectory) return false;
  const marker = await lstatOrNull(join(dir, OWNER_FILE));
  return marker?.isFile ?? false;
}

/**
 * Makes sure `dir` is a folder of ours: creates it with the marker when
 * absent, accepts it when it carries the marker, and throws
 * {@linkcode NotOursError} for anything else (a file, a symlink, a folder
 * without the marker). The parent must exist.
 */
export async function claimDir(dir: string): Promise<void> {
  const info = await lstatOrNull(dir);
  if (info === null) {
    try {
      await Deno.mkdir(dir);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      return await claimDir(dir); // someone made it meanwhile: judge what is there
    }
    await Deno.writeTextFile(join(dir, OWNER_FILE), "lanspread\n", { createNew: true });
    return;
  }
  if (info.isSymlink) throw new NotOursError(dir, "is a symbolic link");
  if (!info.isDirectory) throw new NotOursError(dir, "is not a folder");
  if (!(await isOwned(dir))) throw new NotOursError(dir, "was not made by lanspread");
}

/** Removes `dir` and everything in it, only when it is ours; true when removed or absent. */
export async function removeOwned(dir: string): Promise<boolean> {
  const info = await lstatOrNull(dir);
  if (info === null) return true;
  if (!(await isOwned(dir))) return false;
  // Deno.remove does not follow symlinks inside: a link planted below goes, its target stays.
  await Deno.remove(dir, { recursive: true });
  return true;
}
