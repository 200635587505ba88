/**
 * The block traffic of one download: asks sources for batches of runs (one
 * get-block stream each), verifies every block against the manifest before
 * writing it, tells the scheduler what arrived, and gives back the payload
 * buffers. The scheduler (pure) decides what to ask whom; download.ts runs
 * the loop and the lifecycle around this.
 *
 * @module
 */
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import type { Logger } from "../../common/log.ts";
import type { BlockRun, Manifest } from "../../wire/protocol.ts";
import { goodStretches, sliceAnswer } from "./answer.ts";
import { type BlockPlan, verifyRun } from "./plan.ts";
import type { ResumeRecorder } from "./resume_recorder.ts";
import type { Run, Scheduler } from "./scheduler.ts";
import type { PeerSource } from "./sources.ts";
import type { Staging } from "./staging.ts";

/** What a transfer works with; all owned by the download. */
export interface TransferParts {
  game: string;
  manifest: Manifest;
  plan: BlockPlan;
  scheduler: Scheduler;
  staging: Staging;
  recorder: ResumeRecorder;
  peers: PeerSource;
  gate: RateGate;
  buffers: BufferPool;
  log: Logger;
  now: () => number;
  /** Aborted when the download stops: requests in flight are dropped. */
  signal: AbortSignal;
  /** A source sent corrupted data twice and is dropped for this download. */
  onDropped(peerId: string, reason: string): void;
  /** A source sent a block that failed its hash. */
  onBadBlock?(peerId: string, path: string, index: number): void;
}

export class Transfer {
  #p: TransferParts;
  #inFlight = new Set<Promise<void>>();
  /** Requests under way, by run id. */
  #requests = new Map<number, { batch: Run[]; abandon: AbortController }>();
  /** Verified bytes each source delivered. */
  readonly delivered = new Map<string, number>();

  constructor(parts: TransferParts) {
    this.#p = parts;
  }

  get busy(): boolean {
    return this.#inFlight.size > 0;
  }

  /** Sends `batch` in the background; `done` runs when it settled, `failed` if it threw. */
  send(batch: Run[], done: () => void, failed: (error: unknown) => void): void {
    const job = this.#fetch(batch).catch(failed).finally(() => {
      this.#inFlight.delete(job);
      done();
    });
    this.#inFlight.add(job);
  }

  /** Resolves once nothing is in flight. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #wireRun(run: Run): BlockRun {
    const spec = this.#p.plan.blocks[run.first]!;
    return { path: this.#p.manifest.files[spec.file]!.path, index: spec.index, count: run.count };
  }

  /** Asks one source for a batch of runs (one stream) and settles each run. */
  async #fetch(batch: Run[]): Promise<void> {
    const { scheduler, now } = this.#p;
    const source = batch[0]!.source;
    const session = this.#p.peers.session(source);
    const failAll = () => batch.forEach((run) => scheduler.fail(run.id, now()));
    if (!session) return failAll();
    const asked = batch.map((run) => this.#wireRun(run));
    // Abandoned when the endgame copy at another source wins every run of the batch.
    const abandon = new AbortController();
    const signal = AbortSignal.any([this.#p.signal, abandon.signal]);
    for (const run of batch) this.#requests.set(run.id, { batch, abandon });
    let reply;
    try {
      await this.#p.gate.pass(batch.reduce((n, r) => n + r.bytes, 0), signal);
      reply = await session.request(
        { type: "get-block", game: this.#p.game, runs: asked },
        { signal, allocate: (bytes) => this.#p.buffers.take(bytes) },
      );
    } catch {
      return failAll();
    } finally {
      for (const run of batch) this.#requests.delete(run.id);
    }
    const m = reply.message;
    if (m.type === "error" && m.code === "busy") {
      return batch.forEach((run) => scheduler.busy(run.id, now(), m.retryAfterMs ?? 500));
    }
    if (m.type !== "block") return failAll();
    const payload = reply.payload ?? new Uint8Array(0);
    const slices = sliceAnswer(asked, m.runs, payload);
    for (const [i, run] of batch.entries()) {
      const slice = slices[i];
      // Not in this answer (it was full, or the peer strayed): asked again later, no strike.
      if (!slice) scheduler.complete(run.id, [], now());
      else await this.#accept(run, slice.count, slice.bytes);
    }
    // Verified and written (or refused): the buffer can carry the next answer.
    this.#p.buffers.give(payload.buffer);
  }

  /** Stops the requests whose every run the scheduler no longer needs. */
  #abandon(cancelled: number[]): void {
    const gone = new Set(cancelled);
    for (const id of cancelled) {
      const request = this.#requests.get(id);
      if (!request) continue;
      if (request.batch.every((r) => gone.has(r.id) || this.#p.scheduler.isSettled(r.id))) {
        request.abandon.abort(new Error("another copy won"));
      }
    }
  }

  /** Verifies a run's blocks, writes the good ones, then tells the scheduler. */
  async #accept(run: Run, count: number, payload: Uint8Array): Promise<void> {
    const { plan, scheduler, manifest } = this.#p;
    const { ok } = await verifyRun(plan, run.first, count, payload);
    const start = plan.blocks[run.first]!;
    const size = manifest.blockSize;
    for (const [from, to] of goodStretches(ok, (i) => scheduler.isDoneBlock(run.first + i))) {
      const bytes = payload.subarray(from * size, Math.min(to * size, payload.length));
      await this.#p.staging.write(start.file, (start.index + from) * size, bytes);
    }
    const result = scheduler.complete(run.id, ok, this.#p.now());
    this.#p.recorder.add(result.newlyDone);
    const credited = result.newlyDone.reduce((n, id) => n + plan.blocks[id]!.size, 0);
    this.delivered.set(run.source, (this.delivered.get(run.source) ?? 0) + credited);
    this.#abandon(result.cancel);
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      const path = manifest.files[start.file]!.path;
      this.#p.log.warn(
        `${run.source} sent a corrupted block of ${this.#p.game}/${path}; refetching`,
      );
      this.#p.onBadBlock?.(run.source, path, start.index + bad);
    }
    if (result.dropped) this.#p.onDropped(result.dropped, "sent corrupted data twice");
  }
}
