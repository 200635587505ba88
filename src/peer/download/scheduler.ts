/**
 * The scheduling brain of a swarm download: which blocks to ask which source
 * for, and when. Pure logic with time as an input (`now`, ms); the caller does
 * the I/O, so tests drive it with a fake clock.
 *
 * Policy:
 * - Work goes out in runs of consecutive pending blocks of one file (one
 *   get-block each), lowest block first, so files fill front to back.
 * - Each source has a window of bytes in flight: its measured rate × a target
 *   latency, clamped. Bytes leave the window as they arrive (`progress`, per
 *   block written), not only when their run completes, and a source gets more
 *   work once a quarter of its window is free (or it is idle): requests stay
 *   few and large, and the ones queued at the source keep its link busy while
 *   the next is on its way. Faster sources, which free room sooner and have
 *   larger windows, get more work.
 * - A block is in flight at most `maxCopies` times. A second copy goes out only
 *   for a run that `tick` found slow (rescue), or in endgame: when nothing is
 *   pending, an idle source takes over the tail of the queue that would
 *   finish last, as much as it delivers by the time that queue's source gets
 *   there, so that they finish together and one slow peer cannot hold back
 *   the finish. The first copy to arrive wins; the others are settled and
 *   reported in `cancel` for the caller to abort.
 * - A source's rate is bytes delivered over the time it had requests in
 *   flight (see `SourceState`), not per-request latency, which with a window
 *   of pipelined requests includes the queue ahead of each.
 * - A block that fails its hash goes back to pending, preferably for another
 *   source; a response with bad blocks strikes its source, and enough strikes
 *   drop the source for this download.
 * - Bytes that verified are accepted from any run, even one whose source was
 *   removed or dropped meanwhile: the hash proves them.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";
import { BlockBook, type BlockSpec, SourceRoster, type SourceState } from "./_scheduler_state.ts";
import { type Run, RunBook, type RunState } from "./_scheduler_runs.ts";

export type { BlockSpec };

export interface SchedulerOptions {
  /** @default {LIMITS.maxBlocksPerRun} */
  maxRunBlocks?: number;
  /**
   * Per-source bytes in flight, lower bound: what a new source starts with,
   * and all a slow one holds (more would queue seconds of its data that a
   * faster source could have fetched by the end).
   * @default {4 MiB}
   */
  minWindowBytes?: number;
  /**
   * Per-source bytes in flight, upper bound: a few large requests keep a LAN
   * link full; more only cost memory and stream interleaving.
   * @default {48 MiB}
   */
  maxWindowBytes?: number;
  /**
   * A run is at most window / this (one block at least), so that runs
   * complete, and progress moves, several times per window.
   * @default {4}
   */
  runsPerWindow?: number;
  /** Window = measured rate × this, clamped; covers a block's verify and write too. @default {500} */
  targetLatencyMs?: number;
  /** A run is slow when outstanding > max(minSlowMs, slowFactor × its expected time). @default {4} */
  slowFactor?: number;
  /** @default {2000} */
  minSlowMs?: number;
  /** Responses with bad data before a source is dropped. @default {2} */
  strikesToDrop?: number;
  /** Most simultaneous requests for one block. @default {2} */
  maxCopies?: number;
  /**
   * Per-source runs in flight, upper bound: a window of bytes is thousands of
   * runs of tiny files, each with its requests, buffers and writes alive at
   * once; a few requests' worth keeps a LAN link busy just as well.
   * @default {8 × LIMITS.maxRunsPerRequest}
   */
  maxRunsInFlight?: number;
}

export interface CompleteResult {
  /** Global block ids that became done with this completion. */
  newlyDone: number[];
  /** A source dropped by this completion (its strikesToDrop-th bad response), else null. */
  dropped: string | null;
  /** Other in-flight runs whose blocks are now all done; already settled here, the caller may abandon them. */
  cancel: number[];
}

const MiB = 1024 * 1024;

export class Scheduler {
  #book: BlockBook;
  #o: Required<SchedulerOptions>;
  #runs: RunBook;
  #sources = new SourceRoster();

  constructor(blocks: BlockSpec[], done: Iterable<number>, options: SchedulerOptions = {}) {
    this.#book = new BlockBook(blocks, done);
    this.#o = {
      maxRunBlocks: Math.max(1, options.maxRunBlocks ?? LIMITS.maxBlocksPerRun),
      minWindowBytes: options.minWindowBytes ?? 4 * MiB,
      maxWindowBytes: options.maxWindowBytes ?? 48 * MiB,
      runsPerWindow: Math.max(1, options.runsPerWindow ?? 4),
      targetLatencyMs: options.targetLatencyMs ?? 500,
      slowFactor: options.slowFactor ?? 4,
      minSlowMs: options.minSlowMs ?? 2000,
      strikesToDrop: options.strikesToDrop ?? 2,
      maxCopies: Math.max(1, options.maxCopies ?? 2),
      maxRunsInFlight: Math.max(1, options.maxRunsInFlight ?? 8 * LIMITS.maxRunsPerRequest),
    };
    const avoids = (source: SourceState, id: number) => this.#avoids(source, id);
    this.#runs = new RunBook({ book: this.#book, sources: this.#sources, avoids }, this.#o);
  }

  addSource(id: string, now: number): void {
    this.#sources.add(id, now);
  }

  removeSource(id: string, _now: number): void {
    const source = this.#sources.leave(id);
    if (source) this.#runs.detachAll(source);
  }

  sources(): string[] {
    return this.#sources.active();
  }

  dropped(): string[] {
    return this.#sources.dropped();
  }

  next(sourceId: string, now: number): Run[] {
    const source = this.#sources.get(sourceId);
    if (!source?.active || now < source.pausedUntil) return [];
    const window = this.#window(source);
    const idle = source.inFlight === 0;
    // Refill by quarters of the window: one larger request rather than one per block freed.
    if (!idle && window - source.inFlight < window / 4) return [];
    if (idle) source.busyFrom(now);
    const out: Run[] = [];
    const maxRuns = this.#o.maxRunsInFlight;
    const room = () => source.runs.size < maxRuns ? window - source.inFlight : 0;
    this.#runs.copies(source, this.#runs.slow(), room, now, out);
    // Runs of a part of the window: each completes (and is recorded) well before the window drains.
    const runCap = Math.max(1, window / this.#o.runsPerWindow);
    while (room() > 0) {
      const run = this.#runs.takePending(source, Math.min(room(), runCap), now);
      if (!run) break;
      out.push(run);
    }
    // Endgame copies only for a source with nothing of its own left: a busy
    // source finishes its own work first, so copies queued behind it rarely
    // win, and they waste the other peers' upload.
    if (idle && out.length === 0 && this.#book.firstPending() < 0) {
      this.#endgame(source, room(), now, out);
    }
    return out;
  }

  /**
   * Endgame for idle `source`: of the other sources' queues, the one that
   * would finish last (its bytes no one else holds, at its rate) gives up its
   * tail, as many bytes as `source` delivers by the time that queue's own
   * source gets there (in proportion to the two rates), so that both finish
   * together. Unmeasured rates give up the whole queue, room permitting.
   */
  #endgame(source: SourceState, room: number, now: number, out: Run[]): void {
    const last = this.#runs.lastToFinish(source);
    if (!last) return;
    const { from, bytes } = last;
    const share = source.rate > 0 && from.rate > 0
      ? bytes * source.rate / (source.rate + from.rate)
      : bytes;
    this.#runs.copyTail(source, from, Math.min(share, room), now, out);
  }

  /**
   * `bytes` more of run `runId` arrived (verified or not, and written when
   * good): they leave its source's window and count in its rate. The run
   * stays open until {@linkcode complete}.
   */
  progress(runId: number, bytes: number, now: number): void {
    const state = this.#runs.get(runId);
    if (!state?.attached) return;
    const n = this.#runs.arrived(state, bytes);
    const source = this.#sources.get(state.run.source)!;
    if (!source.dropped) source.delivered(n, now);
  }

  complete(runId: number, ok: boolean[], now: number): CompleteResult {
    const result: CompleteResult = { newlyDone: [], dropped: null, cancel: [] };
    const state = this.#runs.get(runId);
    if (!state) return result;
    const { run, attached } = state;
    const source = this.#sources.get(run.source)!;
    const progressed = run.bytes - state.left;
    this.#runs.settle(state);
    let delivered = 0;
    let bad = false;
    for (let i = 0; i < run.count; i++) {
      const id = run.first + i;
      if (i < ok.length) delivered += this.#book.blocks[id]!.size;
      if (ok[i] === true) this.#runs.finish(id, result);
      else {
        // A missing block is no fault; a detached run's source is gone or dropped already.
        if (ok[i] === false && attached) {
          bad = true;
          this.#book.spoiled(id, run.source);
        }
        this.#book.release(id);
      }
    }
    if (!attached) return result;
    // One strike per bad response, not per bad block: one damaged stretch of a
    // file (or a truncated payload, which fails every block) is one offence.
    if (bad) this.#strike(source, result);
    if (!source.dropped) source.delivered(Math.max(0, delivered - progressed), now);
    return result;
  }

  fail(runId: number, _now: number): void {
    const state = this.#runs.get(runId);
    if (!state) return;
    const { attached } = state;
    this.#runs.settle(state);
    this.#runs.release(state.run);
    if (attached) this.#sources.get(state.run.source)!.penalize();
  }

  busy(runId: number, now: number, retryAfterMs: number): void {
    const state = this.#runs.get(runId);
    if (!state) return;
    this.#runs.settle(state);
    this.#runs.release(state.run);
    const source = this.#sources.get(state.run.source)!;
    source.pausedUntil = Math.max(source.pausedUntil, now + retryAfterMs);
  }

  tick(now: number): void {
    this.#runs.markSlow(now, this.#o.minSlowMs, (state) => this.#slowAfter(state));
  }

  isDone(): boolean {
    return this.#book.doneCount === this.#book.blocks.length;
  }

  doneCount(): number {
    return this.#book.doneCount;
  }

  doneBytes(): number {
    return this.#book.doneBytes;
  }

  totalBytes(): number {
    return this.#book.totalBytes;
  }

  inFlightBytes(source: string): number {
    return this.#sources.get(source)?.inFlight ?? 0;
  }

  rate(source: string): number {
    return this.#sources.get(source)?.rate ?? 0;
  }

  /** True once a run was completed, failed or cancelled: nothing more is expected of it. */
  isSettled(runId: number): boolean {
    return this.#runs.get(runId) === undefined;
  }

  isDoneBlock(id: number): boolean {
    return this.#book.done[id] === 1;
  }

  #window(source: SourceState): number {
    const { minWindowBytes, maxWindowBytes, targetLatencyMs } = this.#o;
    const want = source.rate * targetLatencyMs / 1000;
    return Math.max(minWindowBytes, Math.min(maxWindowBytes, want));
  }

  #slowAfter(state: RunState): number {
    const { slowFactor, minSlowMs } = this.#o;
    const rate = this.#sources.get(state.run.source)!.rate;
    // Unmeasured source: no expectation yet, so only a long silence counts.
    if (rate === 0) return Math.max(minSlowMs, slowFactor * minSlowMs);
    return Math.max(minSlowMs, slowFactor * (state.ahead + state.run.bytes) * 1000 / rate);
  }

  /** Whether `source` should leave `id` to another source, having delivered it bad. */
  #avoids(source: SourceState, id: number): boolean {
    return this.#sources.activeCount > 1 && this.#book.spoiledBy(id) === source.id;
  }

  #strike(source: SourceState, result: CompleteResult): void {
    if (++source.strikes < this.#o.strikesToDrop) return;
    this.#sources.drop(source);
    result.dropped = source.id;
    this.#runs.detachAll(source);
  }
}
