/**
 * The install service of a peer: install (or update), uninstall, remove and
 * play, one operation per game (src/common/operations.ts), each an exact
 * sequence of events: `install-begin`, `install-progress` every 500 ms,
 * then one `install-finished` or `install-failed`; `uninstall-finished`;
 * `remove-finished`; `game-started` and `game-exited`. Keeps the install
 * records in memory for the game rows and the library's snapshot.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { CommandError } from "../../common/errors.ts";
import { isGameId } from "../library/mod.ts";
import { type Claim, describe } from "../../common/operations.ts";
import { type InstallRunContext, runInstall } from "./_install_run.ts";
import { CommandCache, startGame } from "./play.ts";
import { type InstallRecord, readRecords, sameGamesDir, writeRecord } from "./records.ts";
import { removeGame } from "./remove.ts";
import { asCommandError, uninstallGame } from "./transaction.ts";
import type { InstallProgress, InstallResult, InstallsOptions, Started } from "./types.ts";

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
    return await runInstall(this.#run(), { game, claim, handed: handed !== undefined });
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

  /** What an install run takes from the service (_install_run.ts). */
  #run(): InstallRunContext {
    return {
      options: this.#o,
      signal: this.#abort.signal,
      record: (game) => this.record(game),
      tx: (gamesDir) => this.#tx(gamesDir),
      progress: this.#progress,
      installed: async (record) => {
        this.#records.set(record.game, record);
        await this.#commands.refresh(join(this.#o.gamesDir(), record.game));
      },
    };
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
