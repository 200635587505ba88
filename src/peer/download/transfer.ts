/**
 * The block traffic of one download: asks sources for batches of runs (one
 * get-block stream each) and takes each answer in as it arrives, block by
 * block: every block is read into a pooled buffer of its own, verified
 * against the manifest, and only then written; a run is reported to the
 * scheduler once its verified blocks are written. So the first block is on
 * disk one block after the answer starts, the link never waits for a whole
 * answer to be checked, and a download holds a few blocks in memory, not
 * whole answers. The scheduler (pure) decides what to ask whom; download.ts
 * runs the loop and the lifecycle around this.
 *
 * @module
 */
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import type { Logger } from "../../common/log.ts";
import type { BlockRun, Manifest } from "../../wire/download_schemas.ts";
import type { StreamedAnswer } from "../../wire/requester.ts";
import { type RunSlice, sliceAnswer } from "./answer.ts";
import { type BlockPlan, verifyBlock } from "./plan.ts";
import type { ResumeRecorder } from "./resume_recorder.ts";
import type { Scheduler } from "./scheduler.ts";
import type { Run } from "./_scheduler_runs.ts";
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
  /** A block arrived or a run was settled: the scheduler may have room for more. */
  onRunSettled?(): void;
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

  /**
   * Asks one source for a batch of runs (one stream) and takes the answer in
   * run by run. Rejects only for what fails the download (a write error).
   */
  async #fetch(batch: Run[]): Promise<void> {
    const { scheduler, now } = this.#p;
    const source = batch[0]!.source;
    const session = this.#p.peers.session(source);
    const fail = (runs: Run[]) => runs.forEach((run) => scheduler.fail(run.id, now()));
    if (!session) return fail(batch);
    const asked = batch.map((run) => this.#wireRun(run));
    // Abandoned when the endgame copy at another source wins every run of the batch.
    const abandon = new AbortController();
    const signal = AbortSignal.any([this.#p.signal, abandon.signal]);
    for (const run of batch) this.#requests.set(run.id, { batch, abandon });
    const settling: Promise<void>[] = [];
    try {
      let answer: StreamedAnswer;
      try {
        await this.#p.gate.pass(batch.reduce((n, r) => n + r.bytes, 0), signal);
        answer = await session.stream({ type: "get-block", game: this.#p.game, runs: asked }, {
          signal,
        });
      } catch {
        return fail(batch);
      }
      try {
        const m = answer.message;
        if (m.type === "error" && m.code === "busy") {
          return batch.forEach((run) => scheduler.busy(run.id, now(), m.retryAfterMs ?? 500));
        }
        if (m.type !== "block") return fail(batch);
        const slices = sliceAnswer(asked, m.runs, answer.left);
        for (const [i, run] of batch.entries()) {
          const slice = slices[i];
          // Not in this answer (it was full, or the peer strayed): asked again later, no strike.
          if (!slice) {
            scheduler.complete(run.id, [], now());
            continue;
          }
          const received = await this.#receive(run, slice, answer);
          settling.push(received.settled);
          if (!received.whole) {
            // The stream failed: what arrived verified counts; the rest is asked again.
            for (const [j, rest] of batch.entries()) {
              if (j <= i) continue;
              if (slices[j]) scheduler.fail(rest.id, now());
              else scheduler.complete(rest.id, [], now());
            }
            break;
          }
        }
      } finally {
        answer.close();
      }
    } finally {
      for (const run of batch) this.#requests.delete(run.id);
      // Written (or failed to be): a write error fails the download from here.
      await Promise.all(settling);
    }
  }

  /**
   * Reads run `run`'s blocks from the answer, verifying each and writing the
   * good ones; `settled` resolves once they are written and the scheduler
   * told (reading goes on meanwhile). `whole` is false when the stream
   * failed before the run's last block.
   */
  async #receive(
    run: Run,
    slice: RunSlice,
    answer: StreamedAnswer,
  ): Promise<{ whole: boolean; settled: Promise<void> }> {
    const { plan, scheduler, buffers } = this.#p;
    const ok: boolean[] = [];
    const writes: Promise<void>[] = [];
    let expected = 0;
    for (let i = 0; i < slice.count; i++) expected += plan.blocks[run.first + i]!.size;
    let whole = true;
    if (expected !== slice.bytes) {
      // Sizes that disagree with the manifest: every block of the run is bad.
      whole = await this.#skip(answer, slice.bytes);
      for (let i = 0; whole && i < slice.count; i++) ok.push(false);
    } else {
      for (let i = 0; i < slice.count; i++) {
        const id = run.first + i;
        const size = plan.blocks[id]!.size;
        let bytes = new Uint8Array(buffers.take(size), 0, size);
        try {
          bytes = await answer.read(bytes);
        } catch {
          buffers.give(bytes.buffer);
          whole = false;
          break;
        }
        const good = verifyBlock(plan, id, bytes);
        ok.push(good);
        if (good && !scheduler.isDoneBlock(id)) {
          const written = this.#write(id, bytes);
          // Out of the link once written (a disk slower than the link holds the window back).
          written.then(() => this.#arrived(run, size), () => {}).finally(() =>
            buffers.give(bytes.buffer)
          );
          written.catch(() => {}); // reported through `settled`, after the run's last block
          writes.push(written);
        } else {
          buffers.give(bytes.buffer);
          this.#arrived(run, size);
        }
      }
    }
    const settled = Promise.all(writes).then(() => this.#settle(run, ok));
    // Reported by #fetch; never an unhandled rejection meanwhile.
    settled.catch(() => {});
    return { whole, settled };
  }

  /** Reads and drops `bytes` of the answer; false when the stream failed first. */
  async #skip(answer: StreamedAnswer, bytes: number): Promise<boolean> {
    const size = this.#p.manifest.blockSize;
    let buffer = this.#p.buffers.take(size);
    try {
      for (let left = bytes; left > 0;) {
        const n = Math.min(left, size);
        buffer = (await answer.read(new Uint8Array(buffer, 0, n))).buffer;
        left -= n;
      }
      return true;
    } catch {
      return false;
    } finally {
      this.#p.buffers.give(buffer);
    }
  }

  /** `bytes` of `run` arrived and are dealt with: room in its source's window. */
  #arrived(run: Run, bytes: number): void {
    this.#p.scheduler.progress(run.id, bytes, this.#p.now());
    this.#p.onRunSettled?.();
  }

  #write(id: number, bytes: Uint8Array): Promise<void> {
    const spec = this.#p.plan.blocks[id]!;
    return this.#p.staging.write(spec.file, spec.index * this.#p.manifest.blockSize, bytes);
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

  /** A run's verified blocks are written: tells the scheduler, the recorder and the log. */
  #settle(run: Run, ok: boolean[]): void {
    const { plan, scheduler, manifest } = this.#p;
    const result = scheduler.complete(run.id, ok, this.#p.now());
    this.#p.recorder.add(result.newlyDone);
    let credited = 0;
    for (const id of result.newlyDone) credited += plan.blocks[id]!.size;
    this.delivered.set(run.source, (this.delivered.get(run.source) ?? 0) + credited);
    this.#abandon(result.cancel);
    const bad = ok.indexOf(false);
    if (bad >= 0) {
      const start = plan.blocks[run.first]!;
      const path = manifest.files[start.file]!.path;
      this.#p.log.warn(
        `${run.source} sent a corrupted block of ${this.#p.game}/${path}; refetching`,
      );
      this.#p.onBadBlock?.(run.source, path, start.index + bad);
    }
    if (result.dropped) this.#p.onDropped(result.dropped, "sent corrupted data twice");
    this.#p.onRunSettled?.();
  }
}
