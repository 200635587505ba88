/**
 * Startup recovery (ARCHITECTURE.md "Install: transactions and recovery"): before the library scans, every intent an
 * interrupted install, update, uninstall or remove left behind is ended as
 * its row of the recovery table says (recovery_table.ts), and staging that
 * carries our marker but no intent (a crash right after it was made) goes.
 * A folder with our reserved name but neither our marker nor an intent is
 * never touched. An intent that cannot be read is set aside once.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { readJsonIfExists } from "../../common/atomic.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/log.ts";
import { isOwned } from "../../common/owned_dir.ts";
import { isGameId } from "../library/mod.ts";
import {
  clearIntent,
  clearRecord,
  installDirs,
  type Intent,
  intentPath,
  parseIntent,
  readIntents,
  sameGamesDir,
  STAGING_DIR,
  writeRecord,
} from "./records.ts";
import { type Action, decide, type Decision, type Ending } from "./recovery_table.ts";
import { removeFiles } from "./remove.ts";
import { carryStep, recordStep, retireBackup } from "./_resumable_steps.ts";
import { backupLocal, dropDir, present, promote, restore } from "./steps.ts";
import type { TxContext } from "./types.ts";

export interface RecoverContext {
  stateDir: string;
  gamesDir: string;
  log: Logger;
}

/** One game's recovery, for the log and the tests. */
export interface Recovered {
  game: string;
  decision: Decision;
}

/** Ends every interrupted operation; resolves with what was done. */
export async function recoverInstalls(ctx: RecoverContext): Promise<Recovered[]> {
  const done: Recovered[] = [];
  const withIntent = new Set<string>();
  for (const { path, intent } of await readIntents(ctx.stateDir)) {
    if (!intent) {
      await Deno.rename(path, `${path}.bad`).catch(() => {});
      ctx.log.warn(`set aside an unreadable install intent: ${path}.bad`);
      continue;
    }
    withIntent.add(intent.game);
    try {
      done.push({ game: intent.game, decision: await recoverOne(ctx, intent) });
    } catch (error) {
      ctx.log.error(
        `cannot finish the interrupted ${intent.op} of ${intent.game}: ${
          errorMessage(error)
        }; it is tried again at the next start`,
      );
    }
  }
  // Staging with our marker and no intent: made just before a crash, nothing in it yet counts.
  const gamesDir = resolve(ctx.gamesDir);
  const entries = await Array.fromAsync(Deno.readDir(gamesDir)).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory || !isGameId(entry.name) || withIntent.has(entry.name)) continue;
    const staging = join(gamesDir, entry.name, STAGING_DIR);
    if (await isOwned(staging)) {
      await dropDir(staging);
      ctx.log.info(`${entry.name}: removed staging an interrupted install left`);
    }
  }
  return done;
}

/**
 * After an install failed past its extraction (a rename refused: a file in
 * use, a permission): before the new tree took `local/`'s place, everything
 * goes back as it was; after, the table finishes it. Null when no intent was left.
 */
export async function settleFailed(ctx: RecoverContext, game: string): Promise<Ending | null> {
  const intent = parseIntent(
    await readJsonIfExists(intentPath(ctx.stateDir, game)).catch(() => null),
  );
  if (!intent) return null;
  const dirs = installDirs(intent.gamesDir, game);
  const p = await present(dirs);
  if (
    intent.op === "install" && intent.step === "swapping" && p.staging && !(p.local && p.backup)
  ) {
    if (!p.local && p.backup) await restore(dirs);
    await dropDir(dirs.staging);
    await clearIntent(ctx.stateDir, game);
    return "old";
  }
  return (await recoverOne(ctx, intent)).ends;
}

async function recoverOne(ctx: RecoverContext, intent: Intent): Promise<Decision> {
  // The intent names its games folder: a crash before a folder change is finished there,
  // and a portable copy moved elsewhere (games beside the state dir) in its new place.
  const gamesDir = sameGamesDir(ctx.stateDir, intent, ctx.gamesDir)
    ? resolve(ctx.gamesDir)
    : intent.gamesDir;
  intent.gamesDir = gamesDir;
  const tx: TxContext = { stateDir: ctx.stateDir, gamesDir, log: ctx.log };
  const dirs = installDirs(gamesDir, intent.game);
  const decision = decide(intent, await present(dirs));
  const run: Record<Action, () => Promise<unknown>> = {
    "drop-staging": () => dropDir(dirs.staging),
    "backup-local": () => backupLocal(dirs),
    promote: () => promote(dirs),
    carry: () => carryStep(tx, dirs, intent),
    "write-record": () => recordStep(tx, intent),
    restore: () => restore(dirs),
    "restore-record": () =>
      intent.previous
        ? writeRecord(ctx.stateDir, {
          game: intent.game,
          gamesDir,
          version: intent.previous.version,
          files: intent.previous.files,
          played: true,
        })
        : clearRecord(ctx.stateDir, intent.game),
    "clear-record": () => clearRecord(ctx.stateDir, intent.game),
    "drop-backup": () => retireBackup(tx, dirs, intent),
    "keep-backup": () =>
      Promise.resolve(
        ctx.log.warn(`${intent.game}: left ${dirs.backup} as it is; move what you need from it`),
      ),
    "remove-files": () => removeFiles(dirs.gameDir),
  };
  for (const action of decision.actions) await run[action]();
  await clearIntent(ctx.stateDir, intent.game);
  const what = intent.op === "install" ? `install of ${intent.version}` : intent.op;
  ctx.log.info(
    `${intent.game}: finished the interrupted ${what} (${intent.step}): ${
      decision.actions.join(", ") || "nothing to do"
    }; ends ${decision.ends}`,
  );
  return decision;
}
