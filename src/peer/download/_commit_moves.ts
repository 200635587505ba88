/**
 * The file moves of a commit (commit.ts has the plan and the journal). Every
 * move is a rename within the game folder, so none needs disk space, and
 * every step is idempotent: run again after a crash at any point, it does
 * what is left. Nothing here follows a symlink: entries are judged by
 * `lstat` and moved as they are.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { eachLimited } from "../../common/async.ts";
import { errorMessage, LanspreadError } from "../../common/errors.ts";
import { lstatOrNull } from "../../common/owned_dir.ts";
import { nativePath } from "./staging.ts";

/** Moves run in parallel: thousands of small files are mostly waiting on the file system. */
const MOVE_CONCURRENCY = 16;

/** A commit that could not complete; `path` is the file that stopped it. */
export class CommitError extends LanspreadError {
  override name = "CommitError";
  constructor(
    code: "files-in-use" | "io-error" | "not-ours",
    readonly path: string,
    message: string,
    /** True when the commit stopped half-way and could not be undone (its journal stays). */
    readonly halfway = false,
  ) {
    super(code, message);
  }
}

/** True when a rename failed because the file is locked or protected (in use, immutable). */
export function isInUse(error: unknown): boolean {
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.Busy) {
    return true;
  }
  // Windows: sharing violation (32), lock violation (33), access denied (5).
  return /EBUSY|EPERM|ETXTBSY|EACCES|os error (5|32|33)\b|Operation not permitted/i
    .test(errorMessage(error));
}

/**
 * True when opening a file for writing failed because it is locked or
 * immutable (not merely read-only, which a rename does not mind).
 */
function isLocked(error: unknown): boolean {
  if (error instanceof Deno.errors.Busy) return true;
  return /EBUSY|ETXTBSY|os error (1|26|32|33)\)|Operation not permitted/i.test(errorMessage(error));
}

/**
 * Finds a file among `paths` below `root` that is in use or immutable
 * before anything moves, so that a blocked update leaves the folder as it
 * was instead of moving files aside and back. Opening for writing without
 * writing changes nothing.
 */
export async function probeInUse(root: string, paths: string[]): Promise<void> {
  await eachParallel(paths, async (rel) => {
    const path = nativePath(root, rel);
    const info = await lstatOrNull(path);
    if (!info?.isFile) return;
    try {
      (await Deno.open(path, { write: true })).close();
    } catch (error) {
      if (isLocked(error)) throw moveFailure(rel, error);
    }
  });
}

/** Wraps a failed move of `rel` as a CommitError users can act on. */
export function moveFailure(rel: string, error: unknown): CommitError {
  if (error instanceof CommitError) return error;
  if (isInUse(error)) {
    return new CommitError(
      "files-in-use",
      rel,
      `${rel} is in use or protected (${errorMessage(error)}); the update finishes once it is free`,
    );
  }
  return new CommitError("io-error", rel, `cannot move ${rel}: ${errorMessage(error)}`);
}

/** Runs `fn` over `items`, MOVE_CONCURRENCY at a time (common/async.ts `eachLimited`). */
export function eachParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  return eachLimited(items, { concurrency: MOVE_CONCURRENCY }, fn);
}

/**
 * Renames `from` to `to`, creating `to`'s folders. False when `from` is
 * gone (moved before a crash); throws when `to` is taken, never replacing it.
 */
export async function move(from: string, to: string): Promise<boolean> {
  if (!(await lstatOrNull(from))) return false;
  await Deno.mkdir(dirname(to), { recursive: true });
  if (await lstatOrNull(to)) throw new Error(`${to} is in the way`);
  await Deno.rename(from, to);
  return true;
}

/** Every file (or link) below `dir`, as relative POSIX paths; folders are walked, not listed. */
export async function filesBelow(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await filesBelow(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Moves whatever stands at `rel` in `from` (a file, a link, or a folder
 * taken apart file by file) to the same place below `to`.
 */
export async function moveAside(fromRoot: string, toRoot: string, rel: string): Promise<void> {
  const from = nativePath(fromRoot, rel);
  const info = await lstatOrNull(from);
  if (!info) return;
  try {
    if (!info.isDirectory) {
      await move(from, nativePath(toRoot, rel));
      return;
    }
    for (const inner of await filesBelow(from)) {
      await move(nativePath(from, inner), nativePath(toRoot, `${rel}/${inner}`));
    }
    await removeEmptyTree(from);
  } catch (error) {
    throw moveFailure(rel, error);
  }
}

/** Removes `dir` and the empty folders below it; leaves anything that holds a file. */
export async function removeEmptyTree(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) await removeEmptyTree(join(dir, entry.name)).catch(() => {});
  }
  await Deno.remove(dir).catch(() => {});
}

/** Removes folders that held only moved files (deepest first); those still holding files stay. */
export async function removeEmptyFolders(root: string, moved: string[]): Promise<void> {
  const folders = new Set<string>();
  for (const path of moved) {
    for (let dir = dirname(path); dir !== "." && dir !== "/"; dir = dirname(dir)) folders.add(dir);
  }
  const deepestFirst = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const dir of deepestFirst) {
    await Deno.remove(nativePath(root, dir)).catch(() => {}); // fails unless empty
  }
}

type Kind = "dir" | "other";

/**
 * What the folders below `root` hold, read once per folder and kept up to
 * date with our own moves: a commit of thousands of files then costs a
 * listing per folder instead of several stats per file. Symlinks count as
 * "other", never as folders.
 */
export class Listing {
  readonly root: string;
  #dirs = new Map<string, Promise<Map<string, Kind>>>();

  constructor(root: string) {
    this.root = root;
  }

  #list(dir: string): Promise<Map<string, Kind>> {
    let listed = this.#dirs.get(dir);
    if (!listed) {
      listed = (async () => {
        const names = new Map<string, Kind>();
        try {
          for await (const e of Deno.readDir(dir ? nativePath(this.root, dir) : this.root)) {
            names.set(e.name, e.isDirectory ? "dir" : "other");
          }
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
        return names;
      })();
      this.#dirs.set(dir, listed);
    }
    return listed;
  }

  /** What stands at `rel`, or null. */
  async kind(rel: string): Promise<Kind | null> {
    const cut = rel.lastIndexOf("/");
    const names = await this.#list(cut < 0 ? "" : rel.slice(0, cut));
    return names.get(rel.slice(cut + 1)) ?? null;
  }

  /** Records what now stands at `rel` after a move of ours. */
  async set(rel: string, kind: Kind | null): Promise<void> {
    const cut = rel.lastIndexOf("/");
    const names = await this.#list(cut < 0 ? "" : rel.slice(0, cut));
    const name = rel.slice(cut + 1);
    if (kind) names.set(name, kind);
    else names.delete(name);
    if (kind === null || kind === "other") this.#dirs.delete(rel); // its own listing is stale
  }
}
