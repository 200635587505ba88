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
 *   pending, an idle source re-requests the oldest in-flight blocks so that
 *   one slow peer cannot hold back the finish. The first copy to arrive wins;
 *   the others are settled and reported in `cancel` for the caller to abort.
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
import { BlockBook, type BlockSpec, SourceState } from "./_scheduler_state.ts";

export type { BlockSpec };

/** A request for consecutive blocks of ONE file: global block ids first..first+count-1. */
export interface Run {
  /** Unique per scheduler. */
  id: number;
  /** Peer id. */
  source: string;
  /** Global block id (position in the blocks array). */
  first: number;
  /** 1..maxRunBlocks. */
  count: number;
  /** Sum of the blocks' sizes. */
  bytes: number;
  /** `now` when `next` handed it out. */
  sentAt: number;
  /** Some of its blocks were already in flight elsewhere (endgame / slow-run rescue). */
  duplicate: boolean;
}

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

interface RunState {
  run: Run;
  /** Holds its blocks and counts in its source's window; false once its source left or was dropped. */
  attached: boolean;
  /** Bytes in flight at its source when sent: the queue it waits behind. */
  ahead: number;
  /** Its bytes still counted in its source's window (not yet arrived). */
  left: number;
}

const MiB = 1024 * 1024;

export class Scheduler {
  #book: BlockBook;
  #o: Required<SchedulerOptions>;
  /** Every run handed out and not yet settled, in the order sent. */
  #runs = new Map<number, RunState>();
  /** Runs marked slow by `tick`, oldest first. */
  #slow = new Set<number>();
  #sources = new Map<string, SourceState>();
  #activeCount = 0;
  #nextRunId = 1;

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
  }

  addSource(id: string, now: number): void {
    const source = this.#sources.get(id);
    if (!source) {
      this.#sources.set(id, new SourceState(id));
      this.#activeCount++;
    } else if (!source.active && !source.dropped) {
      source.active = true;
      source.pausedUntil = 0;
      source.busyFrom(now);
      this.#activeCount++;
    }
  }

  removeSource(id: string, _now: number): void {
    const source = this.#sources.get(id);
    if (!source?.active) return;
    source.active = false;
    this.#activeCount--;
    this.#detachAll(source);
  }

  sources(): string[] {
    return [...this.#sources.values()].filter((s) => s.active).map((s) => s.id);
  }

  dropped(): string[] {
    return [...this.#sources.values()].filter((s) => s.dropped).map((s) => s.id);
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
    this.#copies(source, this.#slowRuns(), room, now, out);
    // Runs of a part of the window: each completes (and is recorded) well before the window drains.
    const runCap = Math.max(1, window / this.#o.runsPerWindow);
    while (room() > 0) {
      const run = this.#takePending(source, Math.min(room(), runCap), now);
      if (!run) break;
      out.push(run);
    }
    // Endgame copies only for a source with nothing of its own left: a busy
    // source finishes its own work first, so copies queued behind it rarely
    // win, and they waste the other peers' upload.
    if (idle && out.length === 0 && this.#book.firstPending() < 0) {
      this.#copies(source, this.#runs.values(), room, now, out);
    }
    return out;
  }

  /**
   * `bytes` more of run `runId` arrived (verified or not, and written when
   * good): they leave its source's window and count in its rate. The run
   * stays open until {@linkcode complete}.
   */
  progress(runId: number, bytes: number, now: number): void {
    const state = this.#runs.get(runId);
    if (!state?.attached) return;
    const n = Math.min(bytes, state.left);
    state.left -= n;
    const source = this.#sources.get(state.run.source)!;
    source.inFlight -= n;
    if (!source.dropped) source.delivered(n, now);
  }

  complete(runId: number, ok: boolean[], now: number): CompleteResult {
    const result: CompleteResult = { newlyDone: [], dropped: null, cancel: [] };
    const state = this.#runs.get(runId);
    if (!state) return result;
    const { run, attached } = state;
    const source = this.#sources.get(run.source)!;
    const progressed = run.bytes - state.left;
    this.#settle(state);
    let delivered = 0;
    let bad = false;
    for (let i = 0; i < run.count; i++) {
      const id = run.first + i;
      if (i < ok.length) delivered += this.#book.blocks[id]!.size;
      if (ok[i] === true) this.#finishBlock(id, result);
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
    this.#settle(state);
    this.#release(state.run);
    if (attached) this.#sources.get(state.run.source)!.penalize();
  }

  busy(runId: number, now: number, retryAfterMs: number): void {
    const state = this.#runs.get(runId);
    if (!state) return;
    this.#settle(state);
    this.#release(state.run);
    const source = this.#sources.get(state.run.source)!;
    source.pausedUntil = Math.max(source.pausedUntil, now + retryAfterMs);
  }

  tick(now: number): void {
    for (const [id, state] of this.#runs) {
      // Runs are in the order sent and none is slow before minSlowMs: the rest are younger.
      if (now - state.run.sentAt <= this.#o.minSlowMs) break;
      if (state.attached && now - state.run.sentAt > this.#slowAfter(state)) this.#slow.add(id);
    }
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
    return !this.#runs.has(runId);
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
    return this.#activeCount > 1 && this.#book.spoiledBy(id) === source.id;
  }

  #takePending(source: SourceState, room: number, now: number): Run | null {
    const book = this.#book;
    const first = book.firstPending((id) => this.#avoids(source, id));
    if (first < 0) return null;
    const count = this.#extend(
      first,
      room,
      (id) => book.isPending(id) && !this.#avoids(source, id),
    );
    return this.#issue(source, first, count, false, now);
  }

  /** How many blocks from `first` go in one run: consecutive in one file, qualifying, within room. */
  #extend(
    first: number,
    room: number,
    qualifies: (id: number) => boolean,
    limit = Infinity,
  ): number {
    const blocks = this.#book.blocks;
    const max = Math.min(this.#o.maxRunBlocks, limit, blocks.length - first);
    let bytes = blocks[first]!.size;
    let count = 1;
    for (; count < max; count++) {
      const id = first + count;
      bytes += blocks[id]!.size;
      if (bytes > room || !this.#book.follows(id) || !qualifies(id)) break;
    }
    return count;
  }

  /** Slow runs still attached, oldest first (settled and detached runs leave the set). */
  *#slowRuns(): Iterable<RunState> {
    for (const id of this.#slow) yield this.#runs.get(id)!;
  }

  /** Adds to `out` copies of other sources' blocks in `candidates`, in their order. */
  #copies(
    source: SourceState,
    candidates: Iterable<RunState>,
    room: () => number,
    now: number,
    out: Run[],
  ): void {
    const canCopy = (id: number) => this.#canCopy(source, id);
    for (const { run, attached } of candidates) {
      if (room() <= 0) return;
      if (!attached || run.source === source.id) continue;
      const end = run.first + run.count;
      for (let id = run.first; id < end && room() > 0; id++) {
        if (!canCopy(id)) continue;
        const count = this.#extend(id, room(), canCopy, end - id);
        out.push(this.#issue(source, id, count, true, now));
        id += count - 1;
      }
    }
  }

  #canCopy(source: SourceState, id: number): boolean {
    if (this.#book.done[id] || this.#avoids(source, id)) return false;
    const holders = this.#book.holders(id);
    if (holders.length === 0 || holders.length >= this.#o.maxCopies) return false;
    return holders.every((runId) => this.#runs.get(runId)!.run.source !== source.id);
  }

  #issue(source: SourceState, first: number, count: number, duplicate: boolean, now: number): Run {
    const id = this.#nextRunId++;
    let bytes = 0;
    for (let block = first; block < first + count; block++) {
      bytes += this.#book.blocks[block]!.size;
      this.#book.hold(block, id);
    }
    const run: Run = { id, source: source.id, first, count, bytes, sentAt: now, duplicate };
    this.#runs.set(id, { run, attached: true, ahead: source.inFlight, left: bytes });
    source.runs.add(id);
    source.inFlight += bytes;
    return { ...run };
  }

  /** The run is over: it leaves the books and stops holding its blocks (their fate is the caller's). */
  #settle(state: RunState): void {
    this.#runs.delete(state.run.id);
    if (state.attached) this.#detach(state);
  }

  /** The run stops holding its blocks and counting in its source's window; it may still complete. */
  #detach(state: RunState): void {
    const { run } = state;
    state.attached = false;
    this.#slow.delete(run.id);
    const source = this.#sources.get(run.source)!;
    source.runs.delete(run.id);
    source.inFlight -= state.left;
    state.left = 0;
    for (let id = run.first; id < run.first + run.count; id++) this.#book.unhold(id, run.id);
  }

  /** Source gone or dropped: its blocks go to others; late verified data is still welcome. */
  #detachAll(source: SourceState): void {
    for (const runId of [...source.runs]) {
      const state = this.#runs.get(runId)!;
      this.#detach(state);
      this.#release(state.run);
    }
  }

  #release(run: Run): void {
    for (let id = run.first; id < run.first + run.count; id++) this.#book.release(id);
  }

  /** Marks a verified block done; other runs left with nothing to fetch are cancelled. */
  #finishBlock(id: number, result: CompleteResult): void {
    if (!this.#book.markDone(id)) return;
    result.newlyDone.push(id);
    for (const runId of [...this.#book.holders(id)]) {
      const state = this.#runs.get(runId)!;
      if (this.#allDone(state.run)) {
        this.#settle(state);
        result.cancel.push(runId);
      }
    }
  }

  #allDone(run: Run): boolean {
    for (let id = run.first; id < run.first + run.count; id++) {
      if (!this.#book.done[id]) return false;
    }
    return true;
  }

  #strike(source: SourceState, result: CompleteResult): void {
    if (++source.strikes < this.#o.strikesToDrop) return;
    source.dropped = true;
    result.dropped = source.id;
    source.active = false;
    this.#activeCount--;
    this.#detachAll(source);
  }
}
