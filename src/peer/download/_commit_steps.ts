/**
 * The three movements of a commit (commit.ts has the plan): forward, back
 * and finish. Each is idempotent, so recovery simply runs one again.
 *
 * @module
 */
import { claimDir, lstatOrNull, OWNER_FILE, removeOwned } from "../../common/owned_dir.ts";
import { nativePath } from "./staging.ts";
import { hasStamp, type JournalFile } from "./_commit_check.ts";
import {
  clearWay,
  eachParallel,
  filesBelow,
  move,
  moveAside,
  moveFailure,
  probeInUse,
  removeEmptyFolders,
} from "./_commit_moves.ts";

const VERSION_FILE = "version.ini";

interface Dirs {
  gameDir: string;
  staged: string;
  previous: string;
  kept: string;
}

interface Plan {
  files: JournalFile[];
  remove: string[];
  owned: string[];
  kept: string;
}

const exists = async (path: string) => (await lstatOrNull(path)) !== null;

/**
 * Moves the old version aside and the new one in, `version.ini` aside
 * first and in last. Throws a CommitError naming the file that stopped it;
 * the caller then rolls back.
 */
export async function applyForward(dirs: Dirs, plan: Plan): Promise<void> {
  const { gameDir, staged, previous } = dirs;
  const files = plan.files.map((f) => f.path).filter((p) => p !== VERSION_FILE);
  await probeInUse(gameDir, [...plan.remove, ...files]);
  await claimDir(previous);
  const newVersionStaged = await exists(nativePath(staged, VERSION_FILE));
  // While the new version.ini waits in staging, the folder must not claim the old version.
  if (newVersionStaged) await moveAside(gameDir, previous, VERSION_FILE);
  await eachParallel(plan.remove, (path) => moveAside(gameDir, previous, path));
  await eachParallel(files, async (path) => {
    const from = nativePath(staged, path);
    if (!(await exists(from))) return; // moved in before a crash
    await clearWay(gameDir, previous, path);
    await moveAside(gameDir, previous, path);
    try {
      await move(from, nativePath(gameDir, path));
    } catch (error) {
      throw moveFailure(path, error);
    }
  });
  if (newVersionStaged) {
    try {
      await move(nativePath(staged, VERSION_FILE), nativePath(gameDir, VERSION_FILE));
    } catch (error) {
      throw moveFailure(VERSION_FILE, error);
    }
  }
  await removeEmptyFolders(gameDir, plan.remove);
}

/**
 * Undoes a partial forward: new files that are still the staged ones go
 * back to staging, then every old file returns from `.lanspread-previous`.
 */
export async function rollBack(dirs: Dirs, plan: Plan): Promise<void> {
  const { gameDir, staged, previous } = dirs;
  await eachParallel(plan.files, async (file) => {
    const placed = nativePath(gameDir, file.path);
    const back = nativePath(staged, file.path);
    if (await exists(back) || !(await hasStamp(placed, file))) return;
    await move(placed, back);
  });
  await removeEmptyFolders(gameDir, plan.files.map((f) => f.path));
  const old = (await filesBelow(previous)).filter((p) => p !== OWNER_FILE);
  await eachParallel(old, async (path) => {
    try {
      await move(nativePath(previous, path), nativePath(gameDir, path));
    } catch (error) {
      throw moveFailure(path, error);
    }
  });
  await removeOwned(previous);
}

/**
 * Settles what was moved aside: files the previous download wrote, or that
 * a new file of the same name replaces, are deleted; any other (a user's)
 * is moved to `.lanspread-kept/<plan.kept>/`. Returns how many were kept.
 */
export async function finishCommit(dirs: Dirs, plan: Plan): Promise<number> {
  const superseded = new Set([...plan.owned, ...plan.files.map((f) => f.path), VERSION_FILE]);
  const old = (await filesBelow(dirs.previous)).filter((p) => p !== OWNER_FILE);
  const keep = old.filter((p) => !superseded.has(p));
  if (keep.length > 0) {
    await claimDir(dirs.kept);
    const into = nativePath(dirs.kept, plan.kept);
    // A file that cannot be kept stops here: the folder it is in is never removed under it.
    for (const path of keep) {
      await move(nativePath(dirs.previous, path), nativePath(into, path));
    }
  }
  await removeOwned(dirs.previous);
  return keep.length;
}
