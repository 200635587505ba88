/**
 * Every download of this peer: starting one (sources chosen, manifests
 * voted on), cancelling, resuming what a restart interrupted, and turning
 * each outcome into exactly one `download-finished`, `download-failed` or
 * `download-cancelled` event.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import { compareVersions, isGameId } from "../library/mod.ts";
import { CommandError } from "../../common/errors.ts";
import { Download, type DownloadOutcome, type DownloadTarget } from "./downloader.ts";
import { chooseManifest, latestOffers, type PeerSource } from "./sources.ts";
import { clearProgress, loadProgress, saveManifest, saveProgress } from "./progress.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import type { SchedulerOptions } from "./scheduler.ts";
import type { Manifest } from "../../wire/protocol.ts";
import type { DownloadView } from "./view.ts";

export interface DownloadsOptions {
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
  scheduler?: SchedulerOptions;
}

interface Active {
  version: string;
  install: boolean;
  download: Download | null;
  /** Set while manifests are fetched (before a Download exists). */
  preparing: AbortController | null;
  done: Promise<void>;
}

export class Downloads {
  #o: DownloadsOptions;
  #active = new Map<string, Active>();
  #stopping = false;
  #buffers = new BufferPool();

  constructor(options: DownloadsOptions) {
    this.#o = options;
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

  /** Games being downloaded. */
  games(): string[] {
    return [...this.#active.keys()].sort();
  }

  /** Starts downloading `game`; resolves once started, rejects with a CommandError. */
  start(game: string, options: { install: boolean }): { sources: string[]; version: string } {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    if (this.#active.has(game)) throw new CommandError("busy", `${game} is already downloading`);
    if (this.#stopping) throw new CommandError("shutting-down", "shutting down");
    const latest = latestOffers(this.#o.peers.offers(game));
    if (!latest) throw new CommandError("not-found", `no connected peer offers ${game}`);
    const local = this.#o.localVersion(game);
    if (local !== null && compareVersions(local, latest.version) >= 0) {
      throw new CommandError(
        "bad-request",
        `${game} ${local} is downloaded; peers offer ${latest.version}, nothing newer`,
      );
    }
    const preparing = new AbortController();
    const entry: Active = {
      version: latest.version,
      install: options.install,
      download: null,
      preparing,
      done: Promise.resolve(),
    };
    this.#active.set(game, entry);
    entry.done = this.#prepare(game, latest.version, latest.offers, options.install, entry)
      .catch((error) =>
        this.#report(game, { kind: "failed", code: "internal", message: errorMessage(error) })
      )
      .finally(() => this.#active.delete(game));
    return { sources: latest.offers.map((o) => o.peerId), version: latest.version };
  }

  async #prepare(
    game: string,
    version: string,
    offers: ReturnType<PeerSource["offers"]>,
    install: boolean,
    entry: Active,
  ): Promise<void> {
    const signal = entry.preparing!.signal;
    const chosen = await chooseManifest(this.#o.peers, game, version, offers, signal)
      .catch((error) => {
        if (signal.aborted) return null;
        throw error;
      });
    if (!chosen) {
      if (!this.#stopping) this.#report(game, { kind: "cancelled" });
      return;
    }
    for (const r of chosen.rejected) {
      this.#o.events.emit("download-source-dropped", { game, peerId: r.peerId, reason: r.reason });
    }
    if (!("hash" in chosen)) {
      const why = chosen.rejected.map((r) => r.reason).join("; ") || "no manifest";
      return this.#report(game, { kind: "failed", code: "bad-manifest", message: why });
    }
    const target: DownloadTarget = {
      game,
      version,
      manifestHash: chosen.hash,
      manifest: chosen.manifest,
      install,
      verified: new Set(),
      unconfirmed: new Set(),
    };
    await saveManifest(this.#o.stateDir, game, chosen.bytes);
    await saveProgress(this.#o.stateDir, { ...target, blocks: 0 });
    entry.preparing = null;
    await this.#run(target, entry);
  }

  async #run(target: DownloadTarget, entry: Active): Promise<void> {
    const download = new Download(target, {
      gamesDir: this.#o.gamesDir(),
      stateDir: this.#o.stateDir,
      peers: this.#o.peers,
      events: this.#o.events,
      log: this.#o.log.child(target.game),
      gate: this.#o.gate,
      buffers: this.#buffers,
      onCommitted: this.#o.onCommitted,
      scheduler: this.#o.scheduler,
    });
    entry.download = download;
    if (this.#stopping) download.stop();
    this.#report(target.game, await download.run());
  }

  #report(game: string, outcome: DownloadOutcome): void {
    const events = this.#o.events;
    if (outcome.kind === "finished") {
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

  /** Resumes every download a restart interrupted (they stall until a source appears). */
  async resume(): Promise<void> {
    const saved = await loadProgress(this.#o.stateDir, (name, reason) => {
      this.#o.log.warn(`cannot resume download ${name}: ${reason}`);
    });
    for (const s of saved) {
      if (this.#active.has(s.game)) continue;
      this.#o.log.info(
        `resuming download of ${s.game} ${s.version} (${s.verified.size} blocks verified, ${s.unconfirmed.size} to check)`,
      );
      const entry: Active = {
        version: s.version,
        install: s.install,
        download: null,
        preparing: null,
        done: Promise.resolve(),
      };
      this.#active.set(s.game, entry);
      const { manifestBytes: _bytes, ...target } = s;
      entry.done = this.#run(target, entry)
        .catch((error) =>
          this.#report(s.game, { kind: "failed", code: "internal", message: errorMessage(error) })
        )
        .finally(() => this.#active.delete(s.game));
    }
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
