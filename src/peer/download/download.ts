/**
 * One swarm download, from a chosen manifest to a committed game folder.
 *
 * The scheduler (pure) decides what to ask whom; transfer.ts moves the
 * blocks; this is the lifecycle around them: claim the staging folder,
 * check what a resume finds on disk, follow sources as peers come and go
 * (stalled when none is left, resumed when one returns, giving way when a
 * newer version appears), report progress every 500 ms, and commit all or
 * nothing, waiting out files in use.
 *
 * Stopping is always between blocks: a block being written is finished
 * first. `cancel` removes the partial files; `stop` (shutdown) keeps them for
 * the next start, flushed and stamped.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import { delay } from "../../common/async.ts";
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import { type ErrorCode, errorMessage, LanspreadError } from "../../common/errors.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";
import { batches, type BlockPlan, planBlocks, verifyBlock } from "./plan.ts";
import { isDiskFull, sameStamp, Staging, type Stamp } from "./staging.ts";
import { commitDownload, CommitError } from "./commit.ts";
import { clearProgress, type DownloadTarget } from "./resume_state.ts";
import { ResumeRecorder } from "./resume_recorder.ts";
import type { PeerSource } from "./sources.ts";
import { RateMeter } from "./rate_meter.ts";
import { Transfer } from "./transfer.ts";
import type { DownloadPhase, DownloadView } from "./view.ts";

export type { DownloadTarget };

/** Rate samples kept for the page's sparkline: two minutes at one per 500 ms. */
const HISTORY_TICKS = 240;
/**
 * How long a download waits, with no source left, before it says it is
 * stalled: a peer that replaces its connection to us (two dialled at once,
 * or a restart) has no session for the few milliseconds of the handshake.
 */
const STALL_GRACE_MS = 1_500;
/** Waits between commit attempts while a file is in use (the last one repeats). */
const COMMIT_RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export interface DownloadDeps {
  gamesDir: string;
  stateDir: string;
  peers: PeerSource;
  events: EventLog;
  log: Logger;
  gate: RateGate;
  /** Payload buffers, reused across requests and downloads. */
  buffers: BufferPool;
  /** Called once the new files are in place (the library takes over the verified hashes). */
  onCommitted: (manifest: Manifest) => Promise<void>;
  /** Whether peers now offer a newer version: with no source left, the download gives way. */
  superseded?: () => boolean;
  /** A source sent a block that failed its hash (the seed may re-check its file). */
  onBadBlock?: (peerId: string, path: string, index: number) => void;
  /** Holds the library's rescans of the game while its files move (returns the release). */
  hold?: (game: string) => () => void;
  scheduler?: SchedulerOptions;
  /** @default {Date.now} */
  now?: () => number;
  /** @default {500} */
  progressEveryMs?: number;
  /** @default {COMMIT_RETRY_MS} */
  commitRetryMs?: number[];
}

export type DownloadOutcome =
  | { kind: "finished"; bytes: number; ms: number }
  | { kind: "failed"; code: ErrorCode; message: string }
  | { kind: "cancelled" }
  | { kind: "stopped" }
  | { kind: "superseded" };

class DownloadFailure extends LanspreadError {
  override name = "DownloadFailure";
}

/** Any error as a failure with a code users can act on. */
function asFailure(error: unknown): LanspreadError {
  if (error instanceof LanspreadError) return error;
  if (isDiskFull(error)) {
    return new DownloadFailure("disk-full", `disk full: ${errorMessage(error)}`);
  }
  return new DownloadFailure("io-error", errorMessage(error));
}

type Mode = "run" | "cancel" | "stop" | "supersede";

export class Download {
  readonly target: DownloadTarget;
  #p: DownloadDeps;
  #plan: BlockPlan;
  #scheduler: Scheduler | null = null;
  #transfer: Transfer | null = null;
  #staging: Staging;
  #recorder: ResumeRecorder;
  #abort = new AbortController();
  #mode: Mode = "run";
  #wake: (() => void) | null = null;
  #stalled: string | null = null;
  /** Set while the last source is gone but the stall is not announced yet (STALL_GRACE_MS). */
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #blocked: string | null = null;
  #phase: DownloadPhase = "downloading";
  #dropped: { peerId: string; reason: string }[] = [];
  #history: number[] = [];
  #rate = 0;
  #failure: LanspreadError | null = null;
  #now: () => number;

  constructor(target: DownloadTarget, deps: DownloadDeps) {
    this.target = target;
    this.#p = deps;
    this.#now = deps.now ?? Date.now;
    this.#plan = planBlocks(target.manifest);
    this.#staging = new Staging(join(deps.gamesDir, target.game), target.manifest);
    this.#recorder = new ResumeRecorder({
      stateDir: deps.stateDir,
      target,
      plan: this.#plan,
      staging: this.#staging,
      now: this.#now,
    });
  }

  get game(): string {
    return this.target.game;
  }

  /** Where the download stands, for the page and `GET downloads`. */
  view(): DownloadView {
    const scheduler = this.#scheduler;
    const done = scheduler?.doneBytes() ?? 0;
    const total = this.#plan.totalBytes;
    const delivered = this.#transfer?.delivered ?? new Map<string, number>();
    const all = [...delivered.values()].reduce((a, b) => a + b, 0);
    return {
      game: this.target.game,
      version: this.target.version,
      phase: this.#blocked ? "blocked" : this.#stalled ? "stalled" : this.#phase,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(this.#rate),
      etaSeconds: this.#rate > 0 ? Math.ceil((total - done) / this.#rate) : null,
      sources: (scheduler?.sources() ?? []).map((peerId) => {
        const bytes = delivered.get(peerId) ?? 0;
        const bytesPerSecond = Math.round(scheduler!.rate(peerId));
        return { peerId, name: "", bytesPerSecond, bytes, share: all > 0 ? bytes / all : 0 };
      }),
      dropped: [...this.#dropped],
      history: [...this.#history],
      install: this.target.install,
      waiting: this.#blocked ?? this.#stalled,
    };
  }

  /** Stops and removes the partial files (user cancel). */
  cancel(): void {
    this.#halt("cancel");
  }

  /** Stops and keeps the partial files for the next start (shutdown). */
  stop(): void {
    this.#halt("stop");
  }

  #halt(mode: Exclude<Mode, "run">): void {
    if (this.#mode === "run") this.#mode = mode;
    this.#abort.abort(new Error(mode));
    this.#kick();
  }

  #kick(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Runs to the end; never rejects. */
  async run(): Promise<DownloadOutcome> {
    const started = this.#now();
    let unsubscribe = () => {};
    let progress: ReturnType<typeof setInterval> | undefined;
    try {
      await this.#prepare();
      const scheduler = this.#scheduler!;
      const meter = new RateMeter(scheduler.doneBytes(), started);
      progress = setInterval(() => this.#progress(meter), this.#p.progressEveryMs ?? 500);
      unsubscribe = this.#p.peers.onChange(() => this.#followSources());
      this.#followSources();
      this.#p.events.emit("download-begin", {
        game: this.game,
        bytes: this.#plan.totalBytes,
        sources: scheduler.sources(),
        resumedBytes: scheduler.doneBytes(),
      });
      await this.#loop();
      if (this.#hasFailed()) throw this.#failure;
      if (this.#mode === "run") await this.#commit();
      if (this.#mode !== "run") return await this.#halted();
      return { kind: "finished", bytes: this.#plan.totalBytes, ms: this.#now() - started };
    } catch (error) {
      return await this.#failed(error);
    } finally {
      clearInterval(progress);
      clearTimeout(this.#stallTimer);
      unsubscribe();
      await this.#staging.close();
    }
  }

  /** Claims staging and, on a resume, checks what is on disk before trusting any of it. */
  async #prepare(): Promise<void> {
    const { verified, unconfirmed } = this.target;
    const resumed = verified.size + unconfirmed.size > 0;
    await this.#staging.prepare(!resumed);
    if (resumed) {
      this.#phase = "verifying";
      const checked = await this.#recorder.confirm();
      if (checked > 0) {
        this.#p.log.info(
          `checked ${checked} staged blocks of ${this.game} again: ${verified.size} verified in all`,
        );
      }
      this.#phase = "downloading";
    }
    this.#scheduler = new Scheduler(this.#plan.blocks, verified, this.#p.scheduler);
    this.#transfer = new Transfer({
      game: this.game,
      manifest: this.target.manifest,
      plan: this.#plan,
      scheduler: this.#scheduler,
      staging: this.#staging,
      recorder: this.#recorder,
      peers: this.#p.peers,
      gate: this.#p.gate,
      buffers: this.#p.buffers,
      log: this.#p.log,
      now: this.#now,
      signal: this.#abort.signal,
      onDropped: (peerId, reason) => {
        this.#dropped.push({ peerId, reason });
        this.#p.events.emit("download-source-dropped", { game: this.game, peerId, reason });
        this.#followSources(); // the last source dropped: stalled, and the event says why
      },
      onBadBlock: this.#p.onBadBlock,
      onRunSettled: () => this.#kick(),
    });
  }

  async #halted(): Promise<DownloadOutcome> {
    if (this.#mode === "cancel") {
      await this.#staging.remove();
      await clearProgress(this.#p.stateDir, this.game);
      await this.#removeEmptyGameDir();
      return { kind: "cancelled" };
    }
    // Flushed and stamped: the next start trusts every block without reading it.
    if (!this.#scheduler?.isDone()) await this.#recorder.save({ flush: true });
    return { kind: this.#mode === "supersede" ? "superseded" : "stopped" };
  }

  async #failed(error: unknown): Promise<DownloadOutcome> {
    this.#abort.abort(error);
    await this.#transfer?.settled();
    const failure = asFailure(error);
    // A commit stopped half-way keeps everything: the next start finishes or undoes it.
    if (!(error instanceof CommitError && error.halfway)) {
      // Free the space and forget the attempt; the old version was never touched.
      await this.#staging.remove().catch(() => {});
      await clearProgress(this.#p.stateDir, this.game).catch(() => {});
      await this.#removeEmptyGameDir();
    }
    return { kind: "failed", code: failure.code, message: failure.message };
  }

  /** A game folder this download made and left empty goes (folders with anything in stay). */
  async #removeEmptyGameDir(): Promise<void> {
    await Deno.remove(dirname(this.#staging.dir)).catch(() => {});
  }

  /** Adds every peer that offers our exact manifest; removes those gone. */
  #followSources(): void {
    const scheduler = this.#scheduler!;
    const now = this.#now();
    const offering = new Set(
      this.#p.peers.offers(this.game)
        .filter((o) => o.manifestHash === this.target.manifestHash)
        .map((o) => o.peerId),
    );
    for (const id of scheduler.sources()) if (!offering.has(id)) scheduler.removeSource(id, now);
    for (const id of offering) scheduler.addSource(id, now);
    const none = scheduler.sources().length === 0;
    if (none && !scheduler.isDone() && this.#p.superseded?.()) {
      this.#p.log.info(`a newer version of ${this.game} is offered: following it`);
      this.#halt("supersede");
    } else if (none && !this.#stalled && !scheduler.isDone()) {
      if (this.#dropped.length) {
        this.#stall(
          `every source was dropped: ${
            this.#dropped.map((d) => `${d.peerId} ${d.reason}`).join("; ")
          }`,
        );
      } else {
        // A peer swapping connections (duplicate.ts) is gone for a moment only.
        this.#stallTimer ??= setTimeout(() => {
          this.#stallTimer = undefined;
          if (this.#mode !== "run" || this.#stalled || scheduler.isDone()) return;
          if (scheduler.sources().length > 0) return;
          this.#stall(`no connected peer offers ${this.game} ${this.target.version} any more`);
        }, STALL_GRACE_MS);
      }
    } else if (!none && this.#stalled) {
      this.#stalled = null;
      this.#p.events.emit("download-resumed", { game: this.game, sources: scheduler.sources() });
    }
    this.#kick();
  }

  #stall(reason: string): void {
    this.#stalled = reason;
    this.#p.events.emit("download-stalled", { game: this.game, reason });
  }

  async #loop(): Promise<void> {
    const scheduler = this.#scheduler!;
    const transfer = this.#transfer!;
    while (this.#mode === "run" && !this.#hasFailed() && !scheduler.isDone()) {
      const now = this.#now();
      scheduler.tick(now);
      for (const source of scheduler.sources()) {
        for (const batch of batches(scheduler.next(source, now))) {
          transfer.send(batch, () => this.#kick(), (error) => this.#failure ??= asFailure(error));
        }
      }
      // Woken by any completion or source change; the timeout drives tick().
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.#kick(), 250);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await transfer.settled();
    if (this.#recorder.pending && !this.#hasFailed()) await this.#recorder.save();
  }

  /** The download's own failure, or the recorder's (progress could not be saved). */
  #hasFailed(): boolean {
    if (!this.#failure && this.#recorder.error) {
      this.#failure = new DownloadFailure(
        isDiskFull(this.#recorder.error) ? "disk-full" : "io-error",
        `cannot record progress: ${errorMessage(this.#recorder.error)}`,
      );
    }
    return this.#failure !== null;
  }

  #progress(meter: RateMeter): void {
    if (this.#mode !== "run" || this.#phase !== "downloading") return;
    const scheduler = this.#scheduler!;
    const done = scheduler.doneBytes();
    const total = this.#plan.totalBytes;
    const rate = meter.sample(done, this.#now());
    this.#rate = rate;
    this.#history.push(Math.round(rate));
    if (this.#history.length > HISTORY_TICKS) this.#history.shift();
    const active = scheduler.sources().filter((s) => scheduler.inFlightBytes(s) > 0);
    this.#p.events.emit("download-progress", {
      game: this.game,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(rate),
      activePeers: active.length,
      etaSeconds: rate > 0 ? Math.ceil((total - done) / rate) : null,
    });
  }

  /**
   * The proof behind a commit: every staged file still has the stamp it had
   * right after our last verified write to it. One that does not (touched by
   * anything else since, or created here) is hashed again in full; a block
   * that no longer matches fails the download rather than commit it.
   */
  async #prove(staged: ReadonlyMap<number, Stamp>): Promise<void> {
    const { manifest, stamps } = this.target;
    for (const [file, stamp] of staged) {
      const saved = stamps.get(file);
      if (saved && sameStamp(saved, stamp)) continue;
      for (let id = this.#plan.firstOf[file]!; id < this.#plan.firstOf[file + 1]!; id++) {
        const spec = this.#plan.blocks[id]!;
        const bytes = await this.#staging.read(file, spec.index * manifest.blockSize, spec.size);
        if (!bytes || !verifyBlock(this.#plan, id, bytes)) {
          const path = manifest.files[file]!.path;
          throw new DownloadFailure("io-error", `staged ${path} was changed by something else`);
        }
      }
    }
  }

  /**
   * Commits all or nothing. While a file is in use (or the commit failed and
   * was undone) the download waits and tries again, the new version staged
   * and the old one whole, until it succeeds or is cancelled or stopped.
   */
  async #commit(): Promise<void> {
    this.#phase = "committing";
    this.#rate = 0;
    const t0 = this.#now();
    await this.#recorder.save({ flush: true }); // every file stamped right after its last write
    const staged = await this.#staging.complete();
    await this.#staging.close();
    await this.#prove(staged);
    const { game, version, manifest, manifestHash } = this.target;
    const ctx = { stateDir: this.#p.stateDir, gamesDir: this.#p.gamesDir, log: this.#p.log };
    const waits = this.#p.commitRetryMs ?? COMMIT_RETRY_MS;
    let release = () => {};
    for (let attempt = 0;; attempt++) {
      release = this.#p.hold?.(game) ?? (() => {});
      try {
        await commitDownload(ctx, { manifest, manifestHash, staged });
        break;
      } catch (error) {
        release();
        if (!(error instanceof CommitError) || error.code === "not-ours" || error.halfway) {
          throw error;
        }
        if (this.#blocked !== error.message) {
          this.#p.log.warn(`cannot put ${game} ${version} in place yet: ${error.message}`);
          this.#p.events.emit("download-blocked", {
            game,
            code: error.code,
            path: error.path,
            message: error.message,
          });
        }
        this.#blocked = error.message;
        const wait = waits[Math.min(attempt, waits.length - 1)]!;
        if (await delay(wait, { signal: this.#abort.signal }).then(() => false, () => true)) return;
      }
    }
    this.#blocked = null;
    const t1 = this.#now();
    try {
      await this.#p.onCommitted(manifest);
    } finally {
      release();
    }
    this.#p.log.info(
      `${game} ${version} is in place in ${this.#p.gamesDir} ` +
        `(commit ${t1 - t0} ms, adopt ${this.#now() - t1} ms)`,
    );
  }
}
