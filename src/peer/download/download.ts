/**
 * One swarm download, from a chosen manifest to a committed game folder.
 *
 * The scheduler (pure) decides what to ask whom; transfer.ts moves the
 * blocks; this is the lifecycle around them: claim the staging folder,
 * check what a resume finds on disk, follow sources as peers come and go
 * (stalled when none is left, resumed when one returns, giving way when a
 * newer version appears), report progress every 500 ms, and commit all or
 * nothing, waiting out files in use. Its parts are private files beside it:
 * the loop between scheduler and transfer (_block_loop.ts), the sources
 * (_source_follower.ts), what users see (_progress_report.ts) and the end
 * (_proof_and_commit.ts).
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
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import type { SchedulerOptions } from "./scheduler.ts";
import { type BlockPlan, planBlocks } from "./plan.ts";
import { Staging } from "./staging.ts";
import { CommitError } from "./commit.ts";
import { clearProgress, type DownloadTarget } from "./resume_state.ts";
import { ResumeRecorder } from "./resume_recorder.ts";
import type { PeerSource } from "./sources.ts";
import { RateMeter } from "./rate_meter.ts";
import type { DownloadPhase, DownloadView } from "./view.ts";
import { asFailure, type DownloadOutcome } from "./_outcome.ts";
import { BlockLoop } from "./_block_loop.ts";
import { proveAndCommit } from "./_proof_and_commit.ts";
import { SourceFollower } from "./_source_follower.ts";
import { ProgressReport } from "./_progress_report.ts";

export type { DownloadTarget };

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

type Mode = "run" | "cancel" | "stop" | "supersede";

export class Download {
  readonly target: DownloadTarget;
  #p: DownloadDeps;
  #plan: BlockPlan;
  #blocks: BlockLoop | null = null;
  #sources: SourceFollower | null = null;
  #report: ProgressReport;
  #staging: Staging;
  #recorder: ResumeRecorder;
  #abort = new AbortController();
  #mode: Mode = "run";
  #blocked: string | null = null;
  #phase: DownloadPhase = "downloading";
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
    this.#report = new ProgressReport({
      target,
      totalBytes: this.#plan.totalBytes,
      events: deps.events,
      now: this.#now,
    });
  }

  get game(): string {
    return this.target.game;
  }

  /** Where the download stands, for the page and `GET downloads`. */
  view(): DownloadView {
    const stalled = this.#sources?.stalled ?? null;
    return this.#report.view({
      scheduler: this.#blocks?.scheduler ?? null,
      delivered: this.#blocks?.transfer.delivered ?? new Map<string, number>(),
      phase: this.#blocked ? "blocked" : stalled ? "stalled" : this.#phase,
      waiting: this.#blocked ?? stalled,
      dropped: this.#sources?.dropped ?? [],
    });
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
    this.#blocks?.kick();
  }

  /** Runs to the end; never rejects. */
  async run(): Promise<DownloadOutcome> {
    const started = this.#now();
    let unsubscribe = () => {};
    let progress: ReturnType<typeof setInterval> | undefined;
    try {
      await this.#prepare();
      const blocks = this.#blocks!;
      const scheduler = blocks.scheduler;
      const meter = new RateMeter(scheduler.doneBytes(), started);
      progress = setInterval(() => this.#progress(meter), this.#p.progressEveryMs ?? 500);
      const sources = this.#sources!;
      unsubscribe = this.#p.peers.onChange(() => sources.follow());
      sources.follow();
      this.#p.events.emit("download-begin", {
        game: this.game,
        bytes: this.#plan.totalBytes,
        sources: scheduler.sources(),
        resumedBytes: scheduler.doneBytes(),
      });
      await blocks.run();
      if (blocks.hasFailed()) throw blocks.failure;
      if (this.#mode === "run") await this.#commit();
      if (this.#mode !== "run") return await this.#halted();
      return { kind: "finished", bytes: this.#plan.totalBytes, ms: this.#now() - started };
    } catch (error) {
      return await this.#failed(error);
    } finally {
      clearInterval(progress);
      this.#sources?.close();
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
    const blocks = new BlockLoop({
      game: this.game,
      manifest: this.target.manifest,
      plan: this.#plan,
      verified,
      scheduling: this.#p.scheduler,
      staging: this.#staging,
      recorder: this.#recorder,
      peers: this.#p.peers,
      gate: this.#p.gate,
      buffers: this.#p.buffers,
      log: this.#p.log,
      now: this.#now,
      signal: this.#abort.signal,
      running: () => this.#mode === "run",
      onDropped: (peerId, reason) => this.#sources!.drop(peerId, reason),
      onBadBlock: this.#p.onBadBlock,
    });
    this.#blocks = blocks;
    this.#sources = new SourceFollower({
      game: this.game,
      version: this.target.version,
      manifestHash: this.target.manifestHash,
      scheduler: blocks.scheduler,
      peers: this.#p.peers,
      events: this.#p.events,
      log: this.#p.log,
      now: this.#now,
      superseded: this.#p.superseded,
      running: () => this.#mode === "run",
      onSuperseded: () => this.#halt("supersede"),
      onFollowed: () => blocks.kick(),
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
    if (!this.#blocks?.scheduler.isDone()) await this.#recorder.save({ flush: true });
    return { kind: this.#mode === "supersede" ? "superseded" : "stopped" };
  }

  async #failed(error: unknown): Promise<DownloadOutcome> {
    this.#abort.abort(error);
    await this.#blocks?.transfer.settled();
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

  #progress(meter: RateMeter): void {
    if (this.#mode !== "run" || this.#phase !== "downloading") return;
    this.#report.tick(this.#blocks!.scheduler, meter);
  }

  /** The proof and the commit; the page shows "committing", or "blocked" while it waits. */
  async #commit(): Promise<void> {
    this.#phase = "committing";
    this.#report.still();
    const { gamesDir, stateDir, events, log, onCommitted, hold, commitRetryMs } = this.#p;
    await proveAndCommit({
      target: this.target,
      plan: this.#plan,
      staging: this.#staging,
      recorder: this.#recorder,
      gamesDir,
      stateDir,
      events,
      log,
      onCommitted,
      hold,
      commitRetryMs,
      now: this.#now,
      signal: this.#abort.signal,
      onBlocked: (message) => this.#blocked = message,
    });
  }
}
