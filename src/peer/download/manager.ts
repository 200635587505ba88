/**
 * Every download of this peer: starting one (sources chosen, manifests
 * voted on), cancelling, following a game whose sources move to another
 * version, resuming what a restart interrupted, and turning each outcome
 * into exactly one `download-finished`, `download-failed` or
 * `download-cancelled` event.
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
import type { DownloadOutcome } from "./_outcome.ts";
import { chooseManifest, latestOffers, type Offer, type PeerSource } from "./sources.ts";
import {
  bitsOf,
  clearProgress,
  type DownloadTarget,
  loadProgress,
  type SavedDownload,
  saveManifest,
  saveProgress,
} from "./resume_state.ts";
import type { SchedulerOptions } from "./scheduler.ts";
import { checkGameFolder, STAGING_DIR } from "./staging.ts";
import type { DownloadView } from "./view.ts";
import { carryOver } from "./carry.ts";
import { type Claim, Operations } from "../../common/operations.ts";

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
      entry.download?.view() ?? {
        game,
        version: entry.version,
        phase: "preparing",
        doneBytes: 0,
        totalBytes: 0,
        bytesPerSecond: 0,
        etaSeconds: null,
        sources: [],
        dropped: [],
        history: [],
        install: entry.install,
        waiting: null,
      }
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
    const signal = entry.preparing!.signal;
    const { version, offers } = latest;
    const chosen = await chooseManifest({ peers: this.#o.peers, game, version, offers, signal })
      .catch((error) => {
        if (signal.aborted) return null;
        throw error;
      });
    if (!chosen) {
      if (!this.#stopping) await this.#forget(game, previous);
      if (!this.#stopping) this.#report(game, { kind: "cancelled" });
      return;
    }
    for (const r of chosen.rejected) {
      this.#o.events.emit("download-source-dropped", { game, peerId: r.peerId, reason: r.reason });
    }
    if (chosen.kind !== "chosen") {
      await this.#forget(game, previous);
      return this.#report(game, failure(chosen));
    }
    const target: DownloadTarget = {
      game,
      version,
      manifestHash: chosen.hash,
      manifest: chosen.manifest,
      install: entry.install,
      verified: new Set(),
      unconfirmed: previous ? carryOver(previous, chosen.manifest) : new Set(),
      stamps: new Map(),
    };
    await saveManifest(this.#o.stateDir, game, chosen.bytes);
    const blocks = countBlocks(target.manifest);
    await saveProgress(this.#o.stateDir, {
      ...target,
      verified: bitsOf(blocks, []),
      unconfirmed: bitsOf(blocks, target.unconfirmed),
    });
    entry.preparing = null;
    await this.#run(target, entry);
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
      superseded: () => this.#newerThan(target) !== null,
      onBadBlock: (peerId, path, index) => this.#o.onBadBlock?.(peerId, game, path, index),
      hold: this.#o.hold,
      scheduler: this.#o.scheduler,
      commitRetryMs: this.#o.commitRetryMs,
    });
    entry.download = download;
    if (this.#stopping) download.stop();
    const outcome = await download.run();
    const next = outcome.kind === "superseded" ? this.#newerThan(target) : null;
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

  /**
   * The offers a download of `target` should move to: peers offer a newer
   * version, or another copy of its version while nobody offers its own.
   */
  #newerThan(target: DownloadTarget): { version: string; offers: Offer[] } | null {
    const offers = this.#o.peers.offers(target.game);
    if (offers.some((o) => o.manifestHash === target.manifestHash)) return null;
    const latest = latestOffers(offers);
    if (!latest) return null;
    const order = compareVersions(latest.version, target.version);
    if (order > 0) return latest;
    const hashed = latest.offers.some((o) => o.manifestHash !== undefined);
    return order === 0 && hashed ? latest : null;
  }

  #report(game: string, outcome: DownloadOutcome): void {
    const events = this.#o.events;
    if (outcome.kind === "finished") {
      const entry = this.#active.get(game);
      if (entry) entry.finished = true;
      this.#o.log.info(`downloaded ${game} (${outcome.bytes} bytes in ${outcome.ms} ms)`);
      events.emit("download-finished", { game, bytes: outcome.bytes, ms: outcome.ms });
    } else if (outcome.kind === "failed") {
      this.#o.log.error(`download of ${game} failed: ${outcome.code}: ${outcome.message}`);
      events.emit("download-failed", { game, code: outcome.code, message: outcome.message });
    } else if (outcome.kind === "cancelled") {
      events.emit("download-cancelled", { game });
    }
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
    const { saved, bad } = await loadProgress(this.#o.stateDir);
    for (const record of bad) {
      this.#o.log.warn(`cannot resume download ${record.name}: ${record.reason}; dropped`);
      if (record.game) await this.#forgetSaved(record.game);
    }
    for (const s of saved) {
      if (this.#active.has(s.game)) continue;
      const local = this.#o.localVersion(s.game);
      if (local !== null && compareVersions(local, s.version) >= 0) {
        this.#o.log.info(`${s.game} ${local} is in place: dropping the download of ${s.version}`);
        await this.#forgetSaved(s.game);
        continue;
      }
      this.#o.log.info(
        `resuming download of ${s.game} ${s.version} ` +
          `(${s.verified.size} blocks verified, ${s.unconfirmed.size} to check)`,
      );
      const entry = this.#claim(s.game, s.version, s.install);
      entry.preparing = null;
      this.#track(s.game, entry, this.#run(targetOf(s), entry));
    }
  }

  async #forgetSaved(game: string): Promise<void> {
    const gameDir = join(this.#o.gamesDir(), game);
    await removeOwned(join(gameDir, STAGING_DIR)).catch(() => {});
    await Deno.remove(gameDir).catch(() => {}); // only when that left it empty
    await clearProgress(this.#o.stateDir, game);
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

function targetOf(saved: SavedDownload): DownloadTarget {
  const { manifestBytes: _bytes, ...target } = saved;
  return target;
}

function countBlocks(manifest: Manifest): number {
  return manifest.files.reduce((n, f) => n + f.blocks.length, 0);
}

/** The failed outcome of a manifest vote that chose nothing. */
function failure(
  result: Exclude<Awaited<ReturnType<typeof chooseManifest>>, { kind: "chosen" }>,
): DownloadOutcome {
  if (result.kind === "conflict") {
    const sides = result.groups.map((g) => `${g.hash.slice(0, 12)} from ${g.peers.join(", ")}`);
    return {
      kind: "failed",
      code: "conflict",
      message: `peers offer different contents under one version and no majority decides: ${
        sides.join(" vs ")
      }`,
    };
  }
  const why = result.rejected.map((r) => r.reason).join("; ") || "no manifest";
  return { kind: "failed", code: "bad-manifest", message: why };
}
