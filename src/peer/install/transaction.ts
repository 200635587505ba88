/**
 * The forward runs of install (and update), uninstall and remove
 * (ARCHITECTURE.md "Install: transactions and recovery"). Each writes its intent before and after every step, so that a crash
 * at any moment leaves a row of the recovery table (recovery_table.ts);
 * a failure before the swap undoes itself at once: the old `local/` was never
 * touched and staging is deleted.
 *
 * Install: claim staging (marked) → intent `extracting` → extract → intent
 * `swapping` (the new files) → old `local/` to backup → staging to `local/`
 * → intent `carrying` (the user's files, listed) → move them → record →
 * intent `cleaning` → delete backup → clear intent.
 *
 * @module
 */
import { join } from "node:path";
import type { ArchiveSet, ExtractProgress, ExtractResult } from "../../archive/mod.ts";
import type { ArchiveLimits } from "../../archive/mod.ts";
import { extractArchives } from "../../archive/mod.ts";
import { CommandError, errorCode, errorMessage, LanspreadError } from "../../common/errors.ts";
import { syncTree, type SyncTreeOptions } from "../../common/atomic.ts";
import type { Logger } from "../../common/log.ts";
import {
  claimDir,
  isOwned,
  lstatOrNull,
  NotOursError,
  OWNER_FILE,
} from "../../common/owned_dir.ts";
import {
  clearIntent,
  clearRecord,
  type InstallDirs,
  installDirs,
  type InstallRecord,
  type Intent,
  writeIntent,
  writeRecord,
} from "./records.ts";
import { backupLocal, carry, dropDir, present, promote, userFiles } from "./steps.ts";

/** Where a transaction works. */
export interface TxContext {
  stateDir: string;
  gamesDir: string;
  log: Logger;
  /**
   * Called at each named point of a run (tests kill the process there).
   * @default {nothing}
   */
  checkpoint?: (point: string) => void | Promise<void>;
  /** Makes the extracted tree durable before the swap (tests inject failures). @default {syncTree} */
  syncTree?: (root: string, paths: readonly string[], options: SyncTreeOptions) => Promise<void>;
}

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

/** A subfolder of `.lanspread-kept/` for the user's files an update could not put back. */
export function keptDir(dirs: InstallDirs): string {
  return join(dirs.kept, `local-${new Date().toISOString().replace(/[:.]/g, "-")}`);
}

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
  onInspected?: (summary: { totalBytes: number; entries: number }) => void;
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
      onInspected: run.onInspected,
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

/**
 * Lists the user's files in the backup once (intent `carrying`), then moves
 * them into `local/`; a second call (recovery) moves what is left of that list.
 */
export async function carryStep(
  ctx: TxContext,
  dirs: InstallDirs,
  intent: Intent,
  options: { mark?: (point: string) => Promise<void> } = {},
): Promise<string[]> {
  const mark = options.mark ?? (async () => {});
  if (intent.step !== "carrying") {
    // Without a record of what the previous install wrote, nothing in it can be told apart
    // as the user's: the old tree is kept whole instead (retireBackup).
    intent.carried = intent.previous ? await userFiles(dirs.backup, intent.previous.files) : [];
    intent.step = "carrying";
    await writeIntent(ctx.stateDir, intent);
    await mark("carrying");
  }
  const kept = await carry(dirs, {
    paths: intent.carried,
    kept: keptDir(dirs),
    afterFirst: () => mark("carried-one"),
  });
  if (kept.length) {
    ctx.log.warn(
      `${intent.game}: the new version also ships ${kept.length} of your files (${
        kept.slice(0, 3).join(", ")
      }${kept.length > 3 ? ", ..." : ""}); yours are kept in ${dirs.kept}`,
    );
  }
  return kept;
}

/**
 * The old tree's end once the new one is in place: deleted, except after an
 * update of a `local/` lanspread has no record of (made by hand, or the
 * state dir was lost), which is kept whole in `.lanspread-kept/`.
 */
export async function retireBackup(
  ctx: TxContext,
  dirs: InstallDirs,
  intent: Intent,
): Promise<void> {
  if (intent.op !== "install" || intent.previous !== null || !(await present(dirs)).backup) {
    return await dropDir(dirs.backup);
  }
  const target = keptDir(dirs);
  await Deno.mkdir(dirs.kept, { recursive: true });
  await Deno.remove(join(dirs.backup, OWNER_FILE)).catch(() => {});
  await Deno.rename(dirs.backup, target);
  ctx.log.warn(
    `${intent.game}: lanspread has no record of the files in the previous local/; ` +
      `it is kept whole in ${target}: copy your saves from there`,
  );
}

/** Records the new version and its files, then intent `cleaning`. */
export async function recordStep(
  ctx: TxContext,
  intent: Intent,
  mark: (point: string) => Promise<void> = async () => {},
): Promise<void> {
  await writeRecord(ctx.stateDir, {
    game: intent.game,
    gamesDir: ctx.gamesDir,
    version: intent.version!,
    files: intent.files,
    played: false,
  });
  intent.step = "cleaning";
  await writeIntent(ctx.stateDir, intent);
  await mark("recorded");
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
