/**
 * The forward runs of install (and update) and uninstall (remove is remove.ts)
 * (ARCHITECTURE.md "Install: transactions and recovery"). Each writes its intent before and after every step, so that a crash
 * at any moment leaves a row of the recovery table (recovery_table.ts);
 * a failure before the swap undoes itself at once: the old `local/` was never
 * touched and staging is deleted.
 *
 * Install: claim staging (marked) → intent `extracting` → extract → intent
 * `swapping` (the new files) → old `local/` to backup → staging to `local/`
 * → intent `carrying` (the user's files, listed) → move them → record →
 * intent `cleaning` → delete backup → clear intent. The steps after the
 * swap, which recovery also takes, are in _resumable_steps.ts.
 *
 * @module
 */
import type { ArchiveSet, ExtractProgress, ExtractResult } from "../../archive/mod.ts";
import type { ArchiveLimits } from "../../archive/mod.ts";
import { extractArchives } from "../../archive/mod.ts";
import { CommandError, errorCode, errorMessage, LanspreadError } from "../../common/errors.ts";
import { syncTree } from "../../common/atomic.ts";
import { claimDir, isOwned, lstatOrNull, NotOursError } from "../../common/owned_dir.ts";
import {
  clearIntent,
  clearRecord,
  type InstallDirs,
  installDirs,
  type InstallRecord,
  type Intent,
  writeIntent,
} from "./records.ts";
import { carryStep, recordStep, retireBackup } from "./_resumable_steps.ts";
import { backupLocal, dropDir, present, promote } from "./steps.ts";
import type { TxContext } from "./types.ts";

/** Points a run passes, in order (tests crash at each). */
export const INSTALL_POINTS = [
  "claimed",
  "extracting",
  "extracted",
  "backed-up",
  "promoted",
  "carrying",
  "carried-one",
  "recorded",
  "cleaned",
] as const;
export const UNINSTALL_POINTS = ["intent", "backed-up", "unrecorded"] as const;

/**
 * Makes sure staging and backup are free for a new operation: staging left
 * by a crash (ours) is deleted; anything else in the way is refused.
 */
async function clearWay(dirs: InstallDirs): Promise<void> {
  for (const dir of [dirs.staging, dirs.backup]) {
    const info = await lstatOrNull(dir);
    if (!info) continue;
    if (dir === dirs.staging && await isOwned(dir)) await dropDir(dir);
    else if (await isOwned(dir)) {
      throw new NotOursError(dir, "holds an earlier install's files that nothing decided on");
    } else throw new NotOursError(dir, "is in the way");
  }
}

export interface InstallRun {
  game: string;
  version: string;
  sets: ArchiveSet[];
  previous: InstallRecord | null;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  limits?: Partial<ArchiveLimits>;
  /** @default 500 */
  progressIntervalMs?: number;
}

/** What an install wrote; `kept` lists user files that had to go to `.lanspread-kept/`. */
export interface Installed extends ExtractResult {
  kept: string[];
}

/** Installs or updates `run.game`; on failure the old `local/` is whole and no staging is left. */
export async function installGame(ctx: TxContext, run: InstallRun): Promise<Installed> {
  const dirs = installDirs(ctx.gamesDir, run.game);
  const mark = async (point: string) => await ctx.checkpoint?.(point);
  await clearWay(dirs);
  await claimDir(dirs.staging);
  const intent: Intent = {
    v: 1,
    op: "install",
    step: "extracting",
    game: run.game,
    gamesDir: ctx.gamesDir,
    version: run.version,
    files: [],
    previous: run.previous && { version: run.previous.version, files: run.previous.files },
    carried: [],
  };
  let result: ExtractResult;
  try {
    await writeIntent(ctx.stateDir, intent);
    await mark("claimed");
    let first = true;
    result = await extractArchives(run.sets, dirs.staging, {
      signal: run.signal,
      limits: run.limits,
      progressIntervalMs: run.progressIntervalMs ?? 500,
      onProgress: (p) => {
        run.onProgress?.(p);
        if (first && p.doneBytes > 0) (first = false, void mark("extracting"));
      },
    });
    // The swap must not make names whose bytes a power loss could still take.
    await (ctx.syncTree ?? syncTree)(dirs.staging, result.files, { signal: run.signal })
      .catch((error) => {
        if (run.signal?.aborted) throw error;
        throw new LanspreadError(
          "io-error",
          `cannot write the extracted files to disk: ${errorMessage(error)}`,
          { cause: error },
        );
      });
  } catch (error) {
    await dropDir(dirs.staging);
    await clearIntent(ctx.stateDir, run.game);
    throw error;
  }
  try {
    intent.step = "swapping";
    intent.files = result.files;
    await writeIntent(ctx.stateDir, intent);
    await mark("extracted");
    return { ...result, kept: await finishInstall(ctx, dirs, intent, mark) };
  } catch (error) {
    throw new SwapError(error, result);
  }
}

/**
 * A step after the extraction failed (a rename refused: a file in use, a
 * permission). The intent is left: the caller settles it (recover.ts
 * `settleFailed`); `extracted` says what the extraction wrote.
 */
export class SwapError extends LanspreadError {
  override name = "SwapError";
  constructor(cause: unknown, readonly extracted: ExtractResult) {
    const busy = cause instanceof Deno.errors.Busy;
    super(
      busy ? "files-in-use" : "io-error",
      `cannot put the new version in place: ${errorMessage(cause)}`,
      { cause },
    );
  }
}

/** From `swapping` on: swap, carry the user's files, record, clean. */
async function finishInstall(
  ctx: TxContext,
  dirs: InstallDirs,
  intent: Intent,
  mark: (point: string) => Promise<void>,
): Promise<string[]> {
  if ((await present(dirs)).local) {
    await backupLocal(dirs);
    await mark("backed-up");
  }
  await promote(dirs);
  await mark("promoted");
  const kept = (await present(dirs)).backup ? await carryStep(ctx, dirs, intent, { mark }) : [];
  await recordStep(ctx, intent, mark);
  await retireBackup(ctx, dirs, intent);
  await mark("cleaned");
  await clearIntent(ctx.stateDir, intent.game);
  return kept;
}

/** Removes `local/` whole (through the backup, so a crash never leaves half of it). */
export async function uninstallGame(
  ctx: TxContext,
  game: string,
  version: string | null,
): Promise<void> {
  const dirs = installDirs(ctx.gamesDir, game);
  const mark = async (point: string) => await ctx.checkpoint?.(point);
  if (!(await present(dirs)).local) {
    throw new CommandError("not-installed", `${game} is not installed`);
  }
  await clearWay(dirs);
  await writeIntent(ctx.stateDir, {
    v: 1,
    op: "uninstall",
    step: "removing",
    game,
    gamesDir: ctx.gamesDir,
    version,
    files: [],
    previous: null,
    carried: [],
  });
  await mark("intent");
  try {
    await backupLocal(dirs);
  } catch (error) {
    // local/ could not move (a file in use): nothing changed.
    if ((await present(dirs)).local) await clearIntent(ctx.stateDir, game);
    throw error;
  }
  await mark("backed-up");
  await clearRecord(ctx.stateDir, game);
  await mark("unrecorded");
  await dropDir(dirs.backup);
  await clearIntent(ctx.stateDir, game);
}

/** Any failure as a CommandError with the code a user can act on. */
export function asCommandError(error: unknown, signal: AbortSignal): CommandError {
  if (signal.aborted) return new CommandError("shutting-down", "the peer is stopping");
  if (error instanceof CommandError) return error;
  if (error instanceof LanspreadError) return new CommandError(error.code, error.message);
  if (/ENOSPC|No space left|os error 28/i.test(errorMessage(error))) {
    return new CommandError("disk-full", `no space left: ${errorMessage(error)}`);
  }
  if (error instanceof Deno.errors.Busy) {
    return new CommandError("files-in-use", errorMessage(error));
  }
  const fileSystem = Object.values(Deno.errors).some((E) => error instanceof E);
  return new CommandError(fileSystem ? "io-error" : errorCode(error), errorMessage(error));
}
