/**
 * The install service of a peer: install (or update), uninstall, remove and
 * play, one operation per game (src/peer/operations.ts), each an exact
 * sequence of events: `install-begin`, `install-progress` every 500 ms,
 * then one `install-finished` or `install-failed`; `uninstall-finished`;
 * `remove-finished`; `game-started` and `game-exited`. Keeps the install
 * records in memory for the game rows and the library's snapshot.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type ArchiveLimits, findArchives } from "../../archive/mod.ts";
import { CommandError, errorMessage } from "../../common/errors.ts";
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import { lstatOrNull } from "../../common/owned_dir.ts";
import { isGameId } from "../library/mod.ts";
import { type Claim, describe, type Operations } from "../../common/operations.ts";
import { CommandCache, startGame } from "./play.ts";
import {
  installDirs,
  type InstallRecord,
  readRecords,
  sameGamesDir,
  writeRecord,
} from "./records.ts";
import { removeGame } from "./remove.ts";
import { settleFailed } from "./recover.ts";
import {
  asCommandError,
  installGame,
  SwapError,
  type TxContext,
  uninstallGame,
} from "./transaction.ts";
import { StallMeter } from "./stall.ts";

export interface InstallsOptions {
  /** The games folder now. */
  gamesDir: () => string;
  stateDir: string;
  events: EventLog;
  log: Logger;
  operations: Operations;
  /** Our downloaded version of a game, or null. */
  downloadedVersion: (game: string) => string | null;
  /** Called after anything changed in a game's folder (the library rescans). */
  changed: (game: string) => Promise<void>;
  /** For the first play: written into the game's config files. */
  settings: () => { playerName: string; language: string };
  /** Caps replacing ARCHIVE_LIMITS (tests). @default {ARCHIVE_LIMITS} */
  limits?: Partial<ArchiveLimits>;
  /** @default 500 */
  progressIntervalMs?: number;
  /** Tests: called at each named point of a run (they kill the process there). */
  checkpoint?: (point: string) => void | Promise<void>;
  /** Makes the extracted tree durable (tests inject failures). @default {syncTree} */
  syncTree?: TxContext["syncTree"];
}

/** An install's progress, as `install-progress` reports it. */
export interface InstallProgress {
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  archive: string;
}

/** `play`: the started process. */
export interface Started {
  game: string;
  pid: number;
}

/** What `install` answers. */
export interface InstallResult {
  game: string;
  version: string;
  files: number;
  bytes: number;
}

export class Installs {
  #o: InstallsOptions;
  #records = new Map<string, InstallRecord>();
  #abort = new AbortController();
  #running = new Set<Promise<unknown>>();
  #commands = new CommandCache();
  #progress = new Map<string, InstallProgress>();

  constructor(options: InstallsOptions) {
    this.#o = options;
  }

  /** Reads the install records (after recovery, before the library's first scan). */
  async load(): Promise<void> {
    this.#records = await readRecords(this.#o.stateDir);
    for (const game of this.#records.keys()) {
      await this.#commands.refresh(join(this.#o.gamesDir(), game));
    }
  }

  /** The install record of `game` in the current games folder, or null. */
  record(game: string): InstallRecord | null {
    const record = this.#records.get(game);
    return record && sameGamesDir(this.#o.stateDir, record, this.#o.gamesDir()) ? record : null;
  }

  installedVersion(game: string): string | null {
    return this.record(game)?.version ?? null;
  }

  /** The running install's progress of `game` (its last `install-progress`), or null. */
  progress(game: string): InstallProgress | null {
    return this.#progress.get(game) ?? null;
  }

  /** Whether the installed game has a start and a server command (cached; refreshed on change). */
  commands(game: string): { playable: boolean; hasServer: boolean } | undefined {
    return this.#commands.get(join(this.#o.gamesDir(), game));
  }

  /**
   * Installs `game` (or updates it when `local/` exists) from its archives;
   * `claim` is a download's, handed over. Throws a CommandError.
   */
  install(game: string, claim?: Claim): Promise<InstallResult> {
    return this.#track(this.#install(game, claim));
  }

  async #install(game: string, handed?: Claim): Promise<InstallResult> {
    const claim = handed ?? this.#claim(game, "install");
    const events = this.#o.events;
    const started = performance.now();
    let version = "";
    // A refused command answers with its error; once begun, or for a download's install
    // (no command waits for it), the outcome is an event too.
    let begun = handed !== undefined;
    try {
      const downloaded = this.#o.downloadedVersion(game);
      if (downloaded === null) {
        throw new CommandError("not-downloaded", `${game} is not downloaded`);
      }
      version = downloaded;
      const gamesDir = this.#o.gamesDir();
      const dirs = installDirs(gamesDir, game);
      const installed = (await lstatOrNull(dirs.local))?.isDirectory ?? false;
      const record = installed ? this.record(game) : null;
      if (record?.version === version) {
        throw new CommandError("installed", `${game} ${version} is installed already`);
      }
      claim.switchTo(installed ? "update" : "install");
      const sets = await findArchives(dirs.gameDir, { signal: this.#abort.signal });
      if (sets.length === 0) {
        // README "Where data lives": a game without archives needs no install; a download that asked for one is done.
        if (handed) {
          this.#o.log.info(`${game} has no archives: nothing to install`);
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
      this.#o.log.info(`${installed ? "updating" : "installing"} ${game} ${version}`);
      const stall = new StallMeter();
      let result;
      try {
        result = await installGame(this.#tx(gamesDir), {
          game,
          version,
          sets,
          previous: record,
          signal: this.#abort.signal,
          limits: this.#o.limits,
          progressIntervalMs: this.#o.progressIntervalMs ?? 500,
          onProgress: (p) => {
            const seconds = (performance.now() - started) / 1000;
            const progress = {
              doneBytes: p.doneBytes,
              totalBytes: p.totalBytes,
              bytesPerSecond: seconds > 0 ? Math.round(p.doneBytes / seconds) : 0,
              archive: p.archive,
            };
            this.#progress.set(game, progress);
            events.emit("install-progress", { game, ...progress });
          },
        });
      } catch (error) {
        // Past the extraction: put back as it was, or finish if the new tree stands already.
        if (!(error instanceof SwapError)) throw error;
        if ((await this.#settle(game)) !== "new") throw error;
        result = { ...error.extracted, kept: [] };
      } finally {
        stall.stop();
      }
      this.#records.set(game, {
        game,
        gamesDir: resolve(gamesDir),
        version,
        files: result.files,
        played: false,
      });
      await this.#commands.refresh(join(this.#o.gamesDir(), game));
      const ms = Math.round(performance.now() - started);
      this.#o.log.info(
        `installed ${game} ${version}: ${result.files.length} files, ${result.bytes} bytes in ${ms} ms`,
      );
      this.#o.log.debug(
        `install of ${game}: event loop's longest stall ${stall.longestMs.toFixed(1)} ms, ` +
          `${stall.longestAtMs.toFixed(0)} ms after it began`,
      );
      // The rows show the new version, and the game is free, by the time anyone hears of it.
      await this.#o.changed(game);
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
      const failure = asCommandError(error, this.#abort.signal);
      this.#o.log.error(
        `install of ${game} ${version} failed: ${failure.code}: ${failure.message}`,
      );
      if (begun) {
        events.emit("install-failed", { game, code: failure.code, message: failure.message });
      }
      throw failure;
    } finally {
      this.#progress.delete(game);
      claim.release();
    }
  }

  /** Ends a failed install's intent now (recover.ts); how it ended, null when it could not. */
  async #settle(game: string): Promise<string | null> {
    return await settleFailed(this.#tx(this.#o.gamesDir()), game).catch((undo) => {
      this.#o.log.error(`${game}: ${errorMessage(undo)}; it is finished at the next start`);
      return null;
    });
  }

  /** Deletes `local/` (everything in it); the downloaded files stay. */
  uninstall(game: string): Promise<{ game: string }> {
    return this.#track((async () => {
      const claim = this.#claim(game, "uninstall");
      try {
        await uninstallGame(this.#tx(this.#o.gamesDir()), game, this.installedVersion(game));
        this.#records.delete(game);
        this.#commands.forget(join(this.#o.gamesDir(), game));
        this.#o.log.info(`uninstalled ${game}`);
        await this.#o.changed(game);
        claim.release();
        this.#o.events.emit("uninstall-finished", { game });
        return { game };
      } catch (error) {
        throw asCommandError(error, this.#abort.signal);
      } finally {
        claim.release();
      }
    })());
  }

  /** Deletes the downloaded files; refused with `installed` while `local/` exists. */
  remove(game: string): Promise<{ game: string }> {
    return this.#track((async () => {
      const claim = this.#claim(game, "remove");
      try {
        const files = await removeGame(this.#tx(this.#o.gamesDir()), game);
        this.#o.log.info(`removed the ${files} downloaded files of ${game}`);
        await this.#o.changed(game);
        claim.release();
        this.#o.events.emit("remove-finished", { game });
        return { game };
      } catch (error) {
        throw asCommandError(error, this.#abort.signal);
      } finally {
        claim.release();
      }
    })());
  }

  /**
   * Starts the game (or its server) detached; on the first play after an
   * install, stamps the player name and language and runs `setup` first.
   */
  async play(game: string, options: { server: boolean }): Promise<Started> {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    const running = this.#o.operations.current(game);
    if (running) {
      throw new CommandError("busy", `${game}: ${describe(running)} is running; play it after`);
    }
    const record = this.record(game);
    const child = await startGame({
      gameDir: join(this.#o.gamesDir(), game),
      server: options.server,
      // The first play after an install stamps names and runs setup; then it is recorded.
      firstPlay: record && !record.played ? this.#o.settings() : null,
      log: this.#o.log.child(game),
    });
    if (record && !record.played) {
      const played = { ...record, played: true };
      await writeRecord(this.#o.stateDir, played);
      this.#records.set(game, played);
    }
    const pid = child.pid;
    this.#o.events.emit("game-started", { game, pid, server: options.server });
    child.status.then((status) => {
      this.#o.events.emit("game-exited", { game, pid, code: status.code });
    }).catch(() => {});
    return { game, pid };
  }

  /** Stops running installs (their staging is removed, the old `local/` stays) and waits. */
  async stopAll(): Promise<void> {
    this.#abort.abort(new CommandError("shutting-down", "the peer is stopping"));
    await Promise.allSettled([...this.#running]);
  }

  #claim(game: string, operation: "install" | "uninstall" | "remove"): Claim {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    if (this.#abort.signal.aborted) throw new CommandError("shutting-down", "the peer is stopping");
    return this.#o.operations.claim(game, operation);
  }

  #tx(gamesDir: string) {
    return {
      stateDir: this.#o.stateDir,
      gamesDir: resolve(gamesDir),
      log: this.#o.log,
      checkpoint: this.#o.checkpoint,
      syncTree: this.#o.syncTree,
    };
  }

  #track<T>(job: Promise<T>): Promise<T> {
    this.#running.add(job);
    job.catch(() => {}).finally(() => this.#running.delete(job));
    return job;
  }
}
