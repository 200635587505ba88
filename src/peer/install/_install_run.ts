/**
 * One install (or update) as the service runs it: the checks that refuse
 * it, then its exact sequence of events (`install-begin`, `install-progress`
 * every 500 ms, one `install-finished` or `install-failed`) around the
 * transaction (transaction.ts), with a failed swap settled at once
 * (recover.ts). Apart from installs.ts, which claims the game and keeps in
 * memory what a run reports, because this is most of the install's code and
 * all of its event ordering.
 *
 * @module
 */
import { resolve } from "node:path";
import { type ArchiveSet, findArchives } from "../../archive/mod.ts";
import { CommandError, errorMessage } from "../../common/errors.ts";
import type { Claim } from "../../common/operations.ts";
import { lstatOrNull } from "../../common/owned_dir.ts";
import { installDirs, type InstallRecord } from "./records.ts";
import { settleFailed } from "./recover.ts";
import { StallMeter } from "./stall.ts";
import { asCommandError, type Installed, installGame, SwapError } from "./transaction.ts";
import type { InstallProgress, InstallResult, InstallsOptions, TxContext } from "./types.ts";

/** What a run takes from the service (installs.ts). */
export interface InstallRunContext {
  options: InstallsOptions;
  signal: AbortSignal;
  /** The install record of a game in the current games folder, or null. */
  record: (game: string) => InstallRecord | null;
  /** Where a transaction in `gamesDir` works. */
  tx: (gamesDir: string) => TxContext;
  /** The running installs' progress by game: set at each report, deleted at the end. */
  progress: Map<string, InstallProgress>;
  /** Keeps a finished install's record and refreshes the game's commands. */
  installed: (record: InstallRecord) => Promise<void>;
}

/**
 * Installs `run.game` (or updates it when `local/` exists) from its archives;
 * `handed` when the claim is a download's. Throws a CommandError.
 */
export async function runInstall(
  ctx: InstallRunContext,
  run: { game: string; claim: Claim; handed: boolean },
): Promise<InstallResult> {
  const { game, claim, handed } = run;
  const o = ctx.options;
  const events = o.events;
  const started = performance.now();
  let version = "";
  // A refused command answers with its error; once begun, or for a download's install
  // (no command waits for it), the outcome is an event too.
  let begun = handed;
  try {
    const downloaded = o.downloadedVersion(game);
    if (downloaded === null) {
      throw new CommandError("not-downloaded", `${game} is not downloaded`);
    }
    version = downloaded;
    const gamesDir = o.gamesDir();
    const dirs = installDirs(gamesDir, game);
    const installed = (await lstatOrNull(dirs.local))?.isDirectory ?? false;
    const record = installed ? ctx.record(game) : null;
    if (record?.version === version) {
      throw new CommandError("installed", `${game} ${version} is installed already`);
    }
    claim.switchTo(installed ? "update" : "install");
    const sets = await findArchives(dirs.gameDir, { signal: ctx.signal });
    if (sets.length === 0) {
      // README "Where data lives": a game without archives needs no install; a download that asked for one is done.
      if (handed) {
        o.log.info(`${game} has no archives: nothing to install`);
        return { game, version, files: 0, bytes: 0 };
      }
      throw new CommandError("bad-request", `${game} has no archives: nothing to install`);
    }
    begun = true;
    events.emit("install-begin", {
      game,
      version,
      bytes: sets.reduce((n, s) => n + s.bytes, 0),
      archives: sets.map((s) => s.name),
    });
    o.log.info(`${installed ? "updating" : "installing"} ${game} ${version}`);
    const stall = new StallMeter();
    const result = await transact(ctx, { game, version, gamesDir, sets, previous: record, started })
      .finally(() => stall.stop());
    await ctx.installed({
      game,
      gamesDir: resolve(gamesDir),
      version,
      files: result.files,
      played: false,
    });
    const ms = Math.round(performance.now() - started);
    o.log.info(
      `installed ${game} ${version}: ${result.files.length} files, ${result.bytes} bytes in ${ms} ms`,
    );
    o.log.debug(
      `install of ${game}: event loop's longest stall ${stall.longestMs.toFixed(1)} ms, ` +
        `${stall.longestAtMs.toFixed(0)} ms after it began`,
    );
    // The rows show the new version, and the game is free, by the time anyone hears of it.
    await o.changed(game);
    claim.release();
    events.emit("install-finished", {
      game,
      version,
      files: result.files.length,
      bytes: result.bytes,
      ms,
    });
    return { game, version, files: result.files.length, bytes: result.bytes };
  } catch (error) {
    const failure = asCommandError(error, ctx.signal);
    o.log.error(
      `install of ${game} ${version} failed: ${failure.code}: ${failure.message}`,
    );
    if (begun) {
      events.emit("install-failed", { game, code: failure.code, message: failure.message });
    }
    throw failure;
  } finally {
    ctx.progress.delete(game);
    claim.release();
  }
}

/** The transaction, reporting its progress; a failed swap is settled before it answers. */
async function transact(
  ctx: InstallRunContext,
  run: {
    game: string;
    version: string;
    gamesDir: string;
    sets: ArchiveSet[];
    previous: InstallRecord | null;
    started: number;
  },
): Promise<Installed> {
  const { game, started } = run;
  try {
    return await installGame(ctx.tx(run.gamesDir), {
      game,
      version: run.version,
      sets: run.sets,
      previous: run.previous,
      signal: ctx.signal,
      limits: ctx.options.limits,
      progressIntervalMs: ctx.options.progressIntervalMs ?? 500,
      onProgress: (p) => {
        const seconds = (performance.now() - started) / 1000;
        const progress = {
          doneBytes: p.doneBytes,
          totalBytes: p.totalBytes,
          bytesPerSecond: seconds > 0 ? Math.round(p.doneBytes / seconds) : 0,
          archive: p.archive,
        };
        ctx.progress.set(game, progress);
        ctx.options.events.emit("install-progress", { game, ...progress });
      },
    });
  } catch (error) {
    // Past the extraction: put back as it was, or finish if the new tree stands already.
    if (!(error instanceof SwapError)) throw error;
    if ((await settle(ctx, game)) !== "new") throw error;
    return { ...error.extracted, kept: [] };
  }
}

/** Ends a failed install's intent now (recover.ts); how it ended, null when it could not. */
async function settle(ctx: InstallRunContext, game: string): Promise<string | null> {
  return await settleFailed(ctx.tx(ctx.options.gamesDir()), game).catch((undo) => {
    ctx.options.log.error(`${game}: ${errorMessage(undo)}; it is finished at the next start`);
    return null;
  });
}
