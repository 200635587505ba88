/**
 * Every download of this peer: starting one (sources chosen, manifests
 * voted on), cancelling, following a game whose sources move to another
 * version, resuming what a restart interrupted, and turning each outcome
 * into exactly one `download-finished`, `download-failed` or
 * `download-cancelled` event. The choice of a target from the offers is in
 * _target.ts, the records a restart left are read in _resume_saved.ts.
 *
 * @module
 */
import { join } from "node:path";
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import { CommandError, errorCode, errorMessage } from "../../common/errors.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import { removeOwned } from "../../common/owned_dir.ts";
import { compareVersions, isGameId } from "../library/mod.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { Download } from "./download.ts";
import { type DownloadOutcome, reportOutcome } from "./_outcome.ts";
import { latestOffers, type Offer, type PeerSource } from "./sources.ts";
import { clearProgress, type DownloadTarget } from "./resume_state.ts";
import type { SchedulerOptions } from "./scheduler.ts";
import { checkGameFolder, STAGING_DIR } from "./staging.ts";
import type { DownloadView } from "./view.ts";
import { type Claim, Operations } from "../../common/operations.ts";
import { chooseTarget, newerThan } from "./_target.ts";
import { resumeSaved } from "./_resume_saved.ts";
import { preparingView } from "./_progress_report.ts";

export interface DownloadManagerOptions {
  /** The games dir at the time a download starts. */
  gamesDir: () => string;
  stateDir: string;
  peers: PeerSource;
  events: EventLog;
  log: Logger;
  gate: RateGate;
  /** The local version of a game, if downloaded. */
  localVersion: (game: string) => string | null;
  onCommitted: (manifest: Manifest) => Promise<void>;
  /** A source sent a block that failed its hash. */
  onBadBlock?: (peerId: string, game: string, path: string, index: number) => void;
  /** Holds the library's rescans of a game while a commit moves its files. */
  hold?: (game: string) => () => void;
  scheduler?: SchedulerOptions;
  /** Waits between commit attempts while a file is in use (tests). */
  commitRetryMs?: number[];
  /** One operation per game: a download claims its game here. @default {a registry of its own} */
  operations?: Operations;
  /**
   * A finished download asked to install: takes the game's claim over (switching it
   * to "install" or "update") and installs. @default {none: the claim is released}
   */
  install?: (game: string, claim: Claim) => void;
}

interface Active {
  version: string;
  install: boolean;
  download: Download | null;
  /** Set while manifests are fetched (before a Download exists). */
  preparing: AbortController | null;
  done: Promise<void>;
  claim: Claim;
  /** The download ended with its files in place. */
  finished: boolean;
}

export class DownloadManager {
  #o: DownloadManagerOptions;
  #active = new Map<string, Active>();
  #stopping = false;
  #buffers = new BufferPool();
  #ops: Operations;

  constructor(options: DownloadManagerOptions) {
    this.#o = options;
    this.#ops = options.operations ?? new Operations();
  }

  /** Games being downloaded. */
  games(): string[] {
    return [...this.#active.keys()].sort();
  }

  /** Active downloads as the page shows them (source names left empty). */
  views(): DownloadView[] {
    return [...this.#active.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([game, entry]) =>
      entry.download?.view() ?? preparingView(game, entry.version, entry.install)
    );
  }

  /**
   * Starts downloading `game`; answers at once with the version and
   * sources, the outcome is an event. Throws a CommandError when it cannot
   * start (`busy`, `not-found`, `not-ours`, `bad-request`, `shutting-down`).
   */
  async start(
    game: string,
    options: { install: boolean },
  ): Promise<{ sources: string[]; version: string }> {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    if (this.#active.has(game)) throw new CommandError("busy", `${game} is already downloading`);
    if (this.#stopping) throw new CommandError("shutting-down", "shutting down");
    this.#ops.assertFree(game); // an install, uninstall or removal runs: busy, naming it
    const latest = latestOffers(this.#o.peers.offers(game));
    if (!latest) throw new CommandError("not-found", `no connected peer offers ${game}`);
    const local = this.#o.localVersion(game);
    if (local !== null && compareVersions(local, latest.version) >= 0) {
      throw new CommandError(
        "bad-request",
        `${game} ${local} is downloaded; peers offer ${latest.version}, nothing newer`,
      );
    }
    // Claimed before the check, so that a second start while we look is refused as busy.
    const entry = this.#claim(game, latest.version, options.install);
    try {
      await checkGameFolder(join(this.#o.gamesDir(), game));
    } catch (error) {
      this.#active.delete(game);
      entry.claim.release();
      throw new CommandError(errorCode(error), errorMessage(error));
    }
    this.#track(game, entry, this.#prepare(game, latest, entry, null));
    return { sources: latest.offers.map((o) => o.peerId), version: latest.version };
  }

  #claim(game: string, version: string, install: boolean): Active {
    const entry: Active = {
      version,
      install,
      download: null,
      preparing: new AbortController(),
      done: Promise.resolve(),
      claim: this.#ops.claim(game, "download"),
      finished: false,
    };
    this.#active.set(game, entry);
    return entry;
  }

  #track(game: string, entry: Active, job: Promise<void>): void {
    entry.done = job
      .catch((error) =>
        this.#report(game, { kind: "failed", code: "internal", message: errorMessage(error) })
      )
      .finally(() => {
        if (this.#active.get(game) === entry) this.#active.delete(game);
        const install = this.#o.install;
        if (entry.finished && entry.install && install && !this.#stopping) {
          install(game, entry.claim); // switches it to "install" or "update"
        } else entry.claim.release();
      });
  }

  /** Chooses the manifest of `latest`, then runs the download (carrying staged blocks over). */
  async #prepare(
    game: string,
    latest: { version: string; offers: Offer[] },
    entry: Active,
    previous: DownloadTarget | null,
  ): Promise<void> {
    const choice = await chooseTarget({
      peers: this.#o.peers,
      events: this.#o.events,
      stateDir: this.#o.stateDir,
      game,
      latest,
      install: entry.install,
      previous,
      signal: entry.preparing!.signal,
    });
    if (choice.kind === "aborted") {
      if (!this.#stopping) await this.#forget(game, previous);
      if (!this.#stopping) this.#report(game, { kind: "cancelled" });
      return;
    }
    if (choice.kind === "failed") {
      await this.#forget(game, previous);
      return this.#report(game, choice.outcome);
    }
    entry.preparing = null;
    await this.#run(choice.target, entry);
  }

  /** A download that ends before it ran: its earlier staged data goes too. */
  async #forget(game: string, previous: DownloadTarget | null): Promise<void> {
    if (!previous) return;
    await removeOwned(join(this.#o.gamesDir(), game, STAGING_DIR)).catch(() => {});
    await clearProgress(this.#o.stateDir, game);
  }

  async #run(target: DownloadTarget, entry: Active): Promise<void> {
    const { game } = target;
    const download = new Download(target, {
      gamesDir: this.#o.gamesDir(),
      stateDir: this.#o.stateDir,
      peers: this.#o.peers,
      events: this.#o.events,
      log: this.#o.log.child(game),
      gate: this.#o.gate,
      buffers: this.#buffers,
      onCommitted: this.#o.onCommitted,
      superseded: () => newerThan(target, this.#o.peers) !== null,
      onBadBlock: (peerId, path, index) => this.#o.onBadBlock?.(peerId, game, path, index),
      hold: this.#o.hold,
      scheduler: this.#o.scheduler,
      commitRetryMs: this.#o.commitRetryMs,
    });
    entry.download = download;
    if (this.#stopping) download.stop();
    const outcome = await download.run();
    const next = outcome.kind === "superseded" ? newerThan(target, this.#o.peers) : null;
    if (!next || this.#stopping) return this.#report(game, outcome);
    this.#o.log.info(`${game}: following the sources from ${target.version} to ${next.version}`);
    this.#o.events.emit("download-version-changed", {
      game,
      fromVersion: target.version,
      toVersion: next.version,
    });
    entry.version = next.version;
    entry.download = null;
    entry.preparing = new AbortController();
    await this.#prepare(game, next, entry, target);
  }

  #report(game: string, outcome: DownloadOutcome): void {
    if (outcome.kind === "finished") {
      const entry = this.#active.get(game);
      if (entry) entry.finished = true;
    }
    reportOutcome(this.#o, game, outcome);
  }

  /** Cancels a download between blocks and removes its partial files. */
  async cancel(game: string): Promise<void> {
    const entry = this.#active.get(game);
    if (!entry) throw new CommandError("not-found", `${game} is not downloading`);
    entry.preparing?.abort(new Error("cancel"));
    entry.download?.cancel();
    await entry.done;
    await clearProgress(this.#o.stateDir, game);
  }

  /**
   * Resumes every download a restart interrupted (they stall until a source
   * appears). A record that cannot be read, or of a version that is in
   * place already, is dropped with its staged data.
   */
  async resume(): Promise<void> {
    await resumeSaved({
      gamesDir: this.#o.gamesDir,
      stateDir: this.#o.stateDir,
      log: this.#o.log,
      localVersion: this.#o.localVersion,
      active: (game) => this.#active.has(game),
      resume: (target) => {
        const entry = this.#claim(target.game, target.version, target.install);
        entry.preparing = null;
        this.#track(target.game, entry, this.#run(target, entry));
      },
    });
  }

  /** Stops every download between blocks, keeping partial files (shutdown). */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    for (const entry of this.#active.values()) {
      entry.preparing?.abort(new Error("shutdown"));
      entry.download?.stop();
    }
    await Promise.allSettled([...this.#active.values()].map((e) => e.done));
  }
}
