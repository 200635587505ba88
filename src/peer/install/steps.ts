/**
 * The file-system steps of an install, update and uninstall (ARCHITECTURE.md "Install: transactions and recovery"),
 * each one rename or one deletion where it can be, so that a crash between
 * any two leaves a state the recovery table (recovery_table.ts) knows. The
 * caller decides which folders are ours (intent or marker); these only act.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { syncDir } from "../../common/atomic.ts";
import { lstatOrNull, OWNER_FILE } from "../../common/owned_dir.ts";
import type { InstallDirs } from "./records.ts";

/** Whether each of `local/`, staging and backup exists as a real folder (links do not count). */
export async function present(dirs: InstallDirs) {
  const isDir = async (p: string) => (await lstatOrNull(p))?.isDirectory ?? false;
  return {
    local: await isDir(dirs.local),
    staging: await isDir(dirs.staging),
    backup: await isDir(dirs.backup),
  };
}

/** Deletes a folder of ours (or a link standing at its name); nothing when absent. */
export async function dropDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** `local/` becomes the backup, marked as ours. */
export async function backupLocal(dirs: InstallDirs): Promise<void> {
  await Deno.rename(dirs.local, dirs.backup);
  await syncDir(dirs.gameDir);
  await Deno.writeTextFile(join(dirs.backup, OWNER_FILE), "lanspread\n");
}

/** Staging becomes `local/` (its marker goes first: the installed tree is the game's). */
export async function promote(dirs: InstallDirs): Promise<void> {
  await Deno.remove(join(dirs.staging, OWNER_FILE)).catch(() => {});
  await Deno.rename(dirs.staging, dirs.local);
  await syncDir(dirs.gameDir);
}

/** The backup becomes `local/` again (undoing an update). */
export async function restore(dirs: InstallDirs): Promise<void> {
  await Deno.rename(dirs.backup, dirs.local);
  await syncDir(dirs.gameDir);
  await Deno.remove(join(dirs.local, OWNER_FILE)).catch(() => {});
}

/**
 * Relative POSIX paths of the files and links under `root` that are not in
 * `written` (the user's: saves, configs), sorted; links are listed, never followed.
 */
export async function userFiles(root: string, written: readonly string[]): Promise<string[]> {
  const ours = new Set(written);
  const found: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (!rel && entry.name === OWNER_FILE) continue;
      if (entry.isDirectory) await walk(join(dir, entry.name), path);
      else if (!ours.has(path)) found.push(path);
    }
  };
  await walk(root, "");
  return found.sort();
}

/**
 * Moves the user's files `paths` from the backup into `local/`. One whose
 * place in `local/` is taken (the new version wrote a file there, or a file
 * stands where a folder must be) goes to `<kept>/` instead: nothing of the
 * user's is lost, and the new install stays whole. Files already moved (a
 * crash earlier) are skipped. Returns the paths kept aside.
 */
export async function carry(
  dirs: InstallDirs,
  options: {
    paths: readonly string[];
    kept: string;
    /** Called once the first file moved (tests kill the process there). */
    afterFirst?: () => Promise<void> | void;
  },
): Promise<string[]> {
  const { paths, kept, afterFirst } = options;
  const aside: string[] = [];
  let moved = 0;
  for (const path of paths) {
    const from = join(dirs.backup, path);
    if (!(await lstatOrNull(from))) continue;
    const to = join(dirs.local, path);
    let done = false;
    if (!(await lstatOrNull(to))) {
      try {
        await Deno.mkdir(dirname(to), { recursive: true });
        await Deno.rename(from, to);
        done = true;
      } catch {
        // A file where a folder must be: keep it aside below.
      }
    }
    if (!done) {
      const target = join(kept, path);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.rename(from, target);
      aside.push(path);
    }
    if (++moved === 1) await afterFirst?.();
  }
  await syncDir(dirs.local);
  return aside;
}
