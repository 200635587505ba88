/**
 * Remove (ARCHITECTURE.md "Install: transactions and recovery"): deletes a game's downloaded (shared) files, never
 * `local/`, and forgets its download record. Refused with `installed` while
 * `local/` exists. `version.ini` goes first, so that from the first step on
 * the folder no longer claims a version (nobody downloads a half-removed
 * game from us); a crash part-way is finished at the next start (intent).
 * Our own `.lanspread*` folders are left to their owners, except that the
 * game folder itself goes once nothing is left in it.
 *
 * @module
 */
import { join } from "node:path";
import { CommandError } from "../../common/errors.ts";
import { lstatOrNull } from "../../common/owned_dir.ts";
import { clearDownloadRecord } from "../download/owned_files.ts";
import { INSTALLED_DIR, PRIVATE_PREFIX } from "../library/mod.ts";
import { clearIntent, installDirs, writeIntent } from "./records.ts";
import type { TxContext } from "./types.ts";

const VERSION_FILE = "version.ini";

/** Deletes the downloaded files of `game`; resolves with how many went. */
export async function removeGame(ctx: TxContext, game: string): Promise<number> {
  const dirs = installDirs(ctx.gamesDir, game);
  if (await lstatOrNull(dirs.local)) {
    throw new CommandError("installed", `${game} is installed; uninstall it first`);
  }
  const info = await lstatOrNull(dirs.gameDir);
  if (!info?.isDirectory) throw new CommandError("not-downloaded", `${game} is not downloaded`);
  await writeIntent(ctx.stateDir, {
    v: 1,
    op: "remove",
    step: "removing",
    game,
    gamesDir: ctx.gamesDir,
    version: null,
    files: [],
    previous: null,
    carried: [],
  });
  await ctx.checkpoint?.("intent");
  const removed = await removeFiles(dirs.gameDir);
  await clearDownloadRecord(ctx.stateDir, game);
  await clearIntent(ctx.stateDir, game);
  return removed;
}

/** The forward step (also the recovery's): shared files, then empty folders, then the game folder if empty. */
export async function removeFiles(gameDir: string): Promise<number> {
  let removed = 0;
  if (await Deno.remove(join(gameDir, VERSION_FILE)).then(() => true, () => false)) removed++;
  const walk = async (dir: string, top: boolean): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const lower = entry.name.toLowerCase();
      if (top && (lower === INSTALLED_DIR || lower.startsWith(PRIVATE_PREFIX))) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        await walk(path, false);
        await Deno.remove(path).catch(() => {}); // only when it is empty now
      } else {
        await Deno.remove(path);
        removed++;
      }
    }
  };
  if (await lstatOrNull(gameDir)) await walk(gameDir, true);
  await Deno.remove(gameDir).catch(() => {}); // only when nothing is left
  return removed;
}
