/**
 * One swarm download, from a chosen manifest to a committed game folder.
 *
 * The scheduler (pure) decides what to ask whom; this loop does the I/O:
 * sends get-block runs, verifies every block against the manifest before
 * writing it, records verified blocks in the state dir so a restart never
 * fetches them again, follows sources as peers come and go (stalled when
 * none is left, resumed when one returns), reports progress every 500 ms,
 * and commits the verified files with `version.ini` last.
 *
 * Stopping is always between blocks: a block being written is finished
 * first. `cancel` removes the partial files; `stop` (shutdown) keeps them for
 * the next start.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { type ErrorCode, errorMessage, LanspreadError } from "../../common/errors.ts";
import type { BlockRun, Manifest } from "../../wire/protocol.ts";
import { join } from "node:path";
import { type Run, Scheduler, type SchedulerOptions } from "./scheduler.ts";
import { batches, type BlockPlan, planBlocks, verifyRun } from "./plan.ts";
import { isDiskFull, Staging } from "./staging.ts";
import { commitManifest } from "./commit.ts";
import { clearProgress, type DownloadTarget } from "./progress.ts";

export type { DownloadTarget };
import { ProgressRecorder } from "./recorder.ts";
import type { PeerSource } from "./sources.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import { ProgressMeter } from "./progress_meter.ts";
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { DownloadView } from "./view.ts";

/** Rate samples kept for the page's sparkline: two minutes at one per 500 ms. */
const HISTORY_TICKS = 240;

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
  scheduler?: SchedulerOptions;
  /** @default {Date.now} */
  now?: () => number;
  /** @default {500} */
  progressEveryMs?: number;
}

export type DownloadOutcome =
  | { kind: "finished"; bytes: number; ms: number }
  | { kind: "failed"; code: ErrorCode; message: string }
  | { kind: "cancelled" }
  | { kind: "stopped" };

class DownloadFailure extends LanspreadError {
  override name = "DownloadFailure";
}

/** Any error as a failure with a code users can act on. */
function asFailure(error: unknown): DownloadFailure {
  if (error instanceof DownloadFailure) return error;
  if (isDiskFull(error)) {
    return new DownloadFailure("disk-full", `disk full: ${errorMessage(error)}`);
  }
  return new DownloadFailure("io-error", errorMessage(error));
}

export class Download {
  readonly target: DownloadTarget;
  #d: DownloadDeps;
  #plan: BlockPlan;
  #scheduler!: Scheduler;
  #staging: Staging;
  #recorder: ProgressRecorder;
  #abort = new AbortController();
  #mode: "run" | "cancel" | "stop" = "run";
  #wake: (() => void) | null = null;
  #inFlight = new Set<Promise<void>>();
  /** Requests under way, by run id. */
  #requests = new Map<number, { batch: Run[]; abandon: AbortController }>();
  #stalled = false;
  #phase: "downloading" | "committing" = "downloading";
  /** Verified bytes each source delivered in this run. */
  #delivered = new Map<string, number>();
  #dropped: { peerId: string; reason: string }[] = [];
  /** Recent overall rates, one per progress tick. */
  #history: number[] = [];
  #rate = 0;
  #failure: DownloadFailure | null = null;
  #now: () => number;

  constructor(target: DownloadTarget, deps: DownloadDeps) {
    this.target = target;
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#plan = planBlocks(target.manifest);
    this.#staging = new Staging(join(deps.gamesDir, target.game), target.manifest);
    this.#recorder = new ProgressRecorder(
      deps.stateDir,
      target,
      this.#plan,
      this.#staging,
      this.#now,
    );
  }

  get game(): string {
    return this.target.game;
  }

  /** Where the download stands, for the page and `GET downloads`. */
  view(): DownloadView {
    const scheduler = this.#scheduler as Scheduler | undefined;
    const done = scheduler?.doneBytes() ?? 0;
    const total = this.#plan.totalBytes;
    const sources = scheduler?.sources() ?? [];
    const all = [...this.#delivered.values()].reduce((a, b) => a + b, 0);
    return {
      game: this.target.game,
      version: this.target.version,
      phase: this.#stalled ? "stalled" : this.#phase,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(this.#rate),
      etaSeconds: this.#rate > 0 ? Math.ceil((total - done) / this.#rate) : null,
      sources: sources.map((peerId) => {
        const bytes = this.#delivered.get(peerId) ?? 0;
        return {
          peerId,
          name: "",
          bytesPerSecond: Math.round(scheduler!.rate(peerId)),
          bytes,
          share: all > 0 ? bytes / all : 0,
        };
      }),
      dropped: [...this.#dropped],
      history: [...this.#history],
      install: this.target.install,
      waiting: this.#stalled ? "no connected peer offers this version" : null,
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

  #halt(mode: "cancel" | "stop"): void {
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
    const { game } = this.target;
    let unsubscribe = () => {};
    let progress: ReturnType<typeof setInterval> | undefined;
    try {
      const fresh = this.target.verified.size + this.target.unconfirmed.size === 0;
      await this.#staging.prepare(fresh);
      await this.#recorder.confirm();
      this.#scheduler = new Scheduler(this.#plan.blocks, this.target.verified, this.#d.scheduler);
      const meter = new ProgressMeter(this.#scheduler.doneBytes(), started);
      progress = setInterval(() => this.#progress(meter), this.#d.progressEveryMs ?? 500);
      unsubscribe = this.#d.peers.onChange(() => this.#followSources());
      this.#followSources();
      this.#d.events.emit("download-begin", {
        game,
        bytes: this.#plan.totalBytes,
        sources: this.#scheduler.sources(),
        resumedBytes: this.#scheduler.doneBytes(),
      });
      await this.#loop();
      if (this.#hasFailed()) throw this.#failure;
      if (this.#mode !== "run") return await this.#halted();
      await this.#finish();
      const bytes = this.#plan.totalBytes;
      return { kind: "finished", bytes, ms: this.#now() - started };
    } catch (error) {
      return await this.#failed(error);
    } finally {
      clearInterval(progress);
      unsubscribe();
      await this.#staging.close();
    }
  }

  async #halted(): Promise<DownloadOutcome> {
    if (this.#mode === "cancel") {
      await this.#staging.remove();
      await clearProgress(this.#d.stateDir, this.target.game);
      return { kind: "cancelled" };
    }
    await this.#recorder.save();
    return { kind: "stopped" };
  }

  async #failed(error: unknown): Promise<DownloadOutcome> {
    this.#abort.abort(error);
    await Promise.allSettled([...this.#inFlight]);
    const failure = asFailure(error);
    // Free the space and forget the attempt; the old version was never touched.
    await this.#staging.remove().catch(() => {});
    await clearProgress(this.#d.stateDir, this.target.game).catch(() => {});
    return { kind: "failed", code: failure.code, message: failure.message };
  }

  /** Adds every peer that offers our exact manifest; removes those gone. */
  #followSources(): void {
    const now = this.#now();
    const offering = new Set(
      this.#d.peers.offers(this.target.game)
        .filter((o) => o.manifestHash === this.target.manifestHash)
        .map((o) => o.peerId),
    );
    for (const id of this.#scheduler.sources()) {
      if (!offering.has(id)) this.#scheduler.removeSource(id, now);
    }
    for (const id of offering) this.#scheduler.addSource(id, now);
    const none = this.#scheduler.sources().length === 0;
    if (none && !this.#stalled && !this.#scheduler.isDone()) {
      this.#stalled = true;
      this.#d.events.emit("download-stalled", { game: this.target.game });
    } else if (!none && this.#stalled) {
      this.#stalled = false;
      this.#d.events.emit("download-resumed", {
        game: this.target.game,
        sources: this.#scheduler.sources(),
      });
    }
    this.#kick();
  }

  async #loop(): Promise<void> {
    while (this.#mode === "run" && !this.#hasFailed() && !this.#scheduler.isDone()) {
      const now = this.#now();
      this.#scheduler.tick(now);
      for (const source of this.#scheduler.sources()) {
        for (const batch of batches(this.#scheduler.next(source, now))) this.#send(batch);
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
    await Promise.allSettled([...this.#inFlight]);
    if (this.#recorder.pending && !this.#hasFailed()) await this.#recorder.save();
  }

  #send(batch: Run[]): void {
    const job = this.#fetch(batch).catch((error) => {
      this.#failure ??= asFailure(error);
    }).finally(() => {
      this.#inFlight.delete(job);
      this.#kick();
    });
    this.#inFlight.add(job);
  }

  #wireRun(run: Run): BlockRun {
    const spec = this.#plan.blocks[run.first]!;
    return {
      path: this.target.manifest.files[spec.file]!.path,
      index: spec.index,
      count: run.count,
    };
  }

  /** Asks one source for a batch of runs (one stream) and settles each run. */
  async #fetch(batch: Run[]): Promise<void> {
    const now = () => this.#now();
    const source = batch[0]!.source;
    const session = this.#d.peers.session(source);
    const failAll = () => batch.forEach((run) => this.#scheduler.fail(run.id, now()));
    if (!session) return failAll();
    const asked = batch.map((run) => this.#wireRun(run));
    // Abandoned when the endgame copy at another source wins every run of the batch.
    const abandon = new AbortController();
    const signal = AbortSignal.any([this.#abort.signal, abandon.signal]);
    for (const run of batch) this.#requests.set(run.id, { batch, abandon });
    let reply;
    try {
      await this.#d.gate.pass(batch.reduce((n, r) => n + r.bytes, 0), signal);
      reply = await session.request(
        { type: "get-block", game: this.target.game, runs: asked },
        { signal, allocate: (bytes) => this.#d.buffers.take(bytes) },
      );
    } catch {
      return failAll();
    } finally {
      for (const run of batch) this.#requests.delete(run.id);
    }
    const m = reply.message;
    if (m.type === "error" && m.code === "busy") {
      return batch.forEach((run) => this.#scheduler.busy(run.id, now(), m.retryAfterMs ?? 500));
    }
    if (m.type !== "block") return failAll();
    const payload = reply.payload ?? new Uint8Array(0);
    let offset = 0;
    for (const [i, run] of batch.entries()) {
      const got = m.runs[i];
      const want = asked[i]!;
      if (!got || got.path !== want.path || got.index !== want.index || got.count > run.count) {
        // Not in this answer (it was full, or the peer strayed): asked again later, no strike.
        this.#scheduler.complete(run.id, [], now());
        continue;
      }
      await this.#accept(run, got.count, payload.subarray(offset, offset + got.bytes));
      offset += got.bytes;
    }
    // Verified and written (or refused): the buffer can carry the next answer.
    this.#d.buffers.give(payload.buffer);
  }

  /** Stops the requests whose every run the scheduler no longer needs. */
  #abandon(cancelled: number[]): void {
    for (const id of cancelled) {
      const request = this.#requests.get(id);
      if (!request) continue;
      if (request.batch.every((r) => cancelled.includes(r.id) || this.#scheduler.isSettled(r.id))) {
        request.abandon.abort(new Error("another copy won"));
      }
    }
  }

  /** Verifies a run's blocks, writes the good ones, then tells the scheduler. */
  async #accept(run: Run, count: number, payload: Uint8Array): Promise<void> {
    const { ok } = await verifyRun(this.#plan, run.first, count, payload);
    await this.#writeVerified(run.first, ok, payload);
    const result = this.#scheduler.complete(run.id, ok, this.#now());
    this.#recorder.add(result.newlyDone);
    const credited = result.newlyDone.reduce((n, id) => n + this.#plan.blocks[id]!.size, 0);
    this.#delivered.set(run.source, (this.#delivered.get(run.source) ?? 0) + credited);
    this.#abandon(result.cancel);
    if (ok.includes(false)) {
      this.#d.log.warn(`${run.source} sent a corrupted block of ${this.target.game}; refetching`);
    }
    if (result.dropped) {
      const dropped = { peerId: result.dropped, reason: "sent corrupted data twice" };
      this.#dropped.push(dropped);
      this.#d.events.emit("download-source-dropped", { game: this.target.game, ...dropped });
    }
  }

  /**
   * Writes each stretch of consecutive good blocks with one write: a run is
   * consecutive blocks of one file, so usually the whole payload goes at once.
   */
  async #writeVerified(first: number, ok: boolean[], payload: Uint8Array): Promise<void> {
    const blockSize = this.target.manifest.blockSize;
    const start = this.#plan.blocks[first]!;
    let from = -1;
    for (let i = 0; i <= ok.length; i++) {
      const good = i < ok.length && ok[i] && !this.#scheduler.isDoneBlock(first + i);
      if (good && from < 0) from = i;
      if (good || from < 0) continue;
      const bytes = payload.subarray(from * blockSize, Math.min(i * blockSize, payload.length));
      await this.#staging.write(start.file, (start.index + from) * blockSize, bytes);
      from = -1;
    }
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

  #progress(meter: ProgressMeter): void {
    if (this.#mode !== "run") return;
    const done = this.#scheduler.doneBytes();
    const total = this.#plan.totalBytes;
    const rate = meter.sample(done, this.#now());
    this.#rate = rate;
    this.#history.push(Math.round(rate));
    if (this.#history.length > HISTORY_TICKS) this.#history.shift();
    const active = this.#scheduler.sources().filter((s) => this.#scheduler.inFlightBytes(s) > 0);
    this.#d.events.emit("download-progress", {
      game: this.target.game,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(rate),
      activePeers: active.length,
      etaSeconds: rate > 0 ? Math.ceil((total - done) / rate) : null,
    });
  }

  async #finish(): Promise<void> {
    this.#phase = "committing";
    const t0 = this.#now();
    await this.#staging.complete();
    await this.#staging.close();
    const t1 = this.#now();
    const { game, version, manifest } = this.target;
    await commitManifest(this.#d.stateDir, this.#d.gamesDir, manifest);
    await clearProgress(this.#d.stateDir, game);
    const t2 = this.#now();
    await this.#d.onCommitted(manifest);
    this.#d.log.info(
      `${game} ${version} is in place in ${this.#d.gamesDir} ` +
        `(flush ${t1 - t0} ms, move ${t2 - t1} ms, adopt ${this.#now() - t2} ms)`,
    );
  }
}
