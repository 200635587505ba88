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
  eachParallel,
  filesBelow,
  Listing,
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
  const game = new Listing(gameDir);
  const stage = new Listing(staged);
  const files = plan.files.map((f) => f.path).filter((p) => p !== VERSION_FILE);
  const present = async (p: string) => (await game.kind(p)) !== null;
  const replaced = await filterParallel(files, present);
  await probeInUse(gameDir, [...plan.remove, ...replaced]);
  await claimDir(previous);
  const newVersionStaged = (await stage.kind(VERSION_FILE)) !== null;
  // While the new version.ini waits in staging, the folder must not claim the old version.
  if (newVersionStaged) await moveAside(gameDir, previous, VERSION_FILE);
  await eachParallel(plan.remove, async (path) => {
    await moveAside(gameDir, previous, path);
    await game.set(path, null);
  });
  await eachParallel(files, async (path) => {
    if (!(await stage.kind(path))) return; // moved in before a crash
    await clearWayListed(game, previous, path);
    if (await present(path)) {
      await moveAside(gameDir, previous, path);
      await game.set(path, null);
    }
    try {
      // Synchronous: both entries are hot (staged and listed just now), and
      // an async rename costs two thread hand-offs more than the rename.
      Deno.renameSync(nativePath(staged, path), nativePath(gameDir, path));
    } catch (error) {
      throw moveFailure(path, error);
    }
    await game.set(path, "other");
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

/** The items for which `test` holds, tested in parallel, in their order. */
async function filterParallel<T>(items: T[], test: (item: T) => Promise<boolean>): Promise<T[]> {
  const keep = new Array<boolean>(items.length);
  await eachParallel(items.map((_, i) => i), async (i) => void (keep[i] = await test(items[i]!)));
  return items.filter((_, i) => keep[i]);
}

/**
 * Makes every folder on the way to `rel` a real folder, judged by the
 * listing: an old file or link in the way is moved aside (never followed).
 */
async function clearWayListed(game: Listing, aside: string, rel: string): Promise<void> {
  const parts = rel.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    const kind = await game.kind(prefix);
    if (kind === "dir") continue;
    if (kind === "other") await moveAside(game.root, aside, prefix);
    await Deno.mkdir(nativePath(game.root, prefix)).catch((error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw moveFailure(prefix, error);
    });
    await game.set(prefix, "dir");
  }
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
