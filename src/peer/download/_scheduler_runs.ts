/**
 * The runs of the swarm scheduler (`scheduler.ts`): how they are cut from
 * the blocks, and the books of those in flight. An attached run holds its
 * blocks in the {@linkcode BlockBook} and its bytes in its source's window;
 * a run is issued, detached and settled only here, so those three stay
 * consistent. `scheduler.ts` holds the policy: when a source gets work, how
 * much, and of what kind. Internal to `scheduler.ts` but for the `Run` type.
 *
 * @module
 */
import type { BlockBook, SourceRoster, SourceState } from "./_scheduler_state.ts";

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

export interface RunState {
  run: Run;
  /** Holds its blocks and counts in its source's window; false once its source left or was dropped. */
  attached: boolean;
  /** Bytes in flight at its source when sent: the queue it waits behind. */
  ahead: number;
  /** Its bytes still counted in its source's window (not yet arrived). */
  left: number;
}

/** What the runs are kept against; all owned by the scheduler. */
export interface RunBookParts {
  book: BlockBook;
  sources: SourceRoster;
  /** Whether `source` should leave block `id` to another source (the scheduler's policy). */
  avoids: (source: SourceState, id: number) => boolean;
}

/** Limits on cutting runs (the scheduler's resolved options). */
export interface RunBookOptions {
  maxRunBlocks: number;
  maxCopies: number;
}

export class RunBook {
  #p: RunBookParts;
  #o: RunBookOptions;
  /** Every run handed out and not yet settled, in the order sent. */
  #runs = new Map<number, RunState>();
  /** Runs marked slow by `tick`, oldest first. */
  #slow = new Set<number>();
  #nextRunId = 1;

  constructor(parts: RunBookParts, options: RunBookOptions) {
    this.#p = parts;
    this.#o = options;
  }

  get(runId: number): RunState | undefined {
    return this.#runs.get(runId);
  }

  /** Marks slow the attached runs out longer than `slowAfter` allows (never before `minSlowMs`). */
  markSlow(now: number, minSlowMs: number, slowAfter: (state: RunState) => number): void {
    for (const [id, state] of this.#runs) {
      // Runs are in the order sent and none is slow before minSlowMs: the rest are younger.
      if (now - state.run.sentAt <= minSlowMs) break;
      if (state.attached && now - state.run.sentAt > slowAfter(state)) this.#slow.add(id);
    }
  }

  /** Slow runs still attached, oldest first (settled and detached runs leave the set). */
  *slow(): Iterable<RunState> {
    for (const id of this.#slow) yield this.#runs.get(id)!;
  }

  /** A run of `source`'s from the lowest pending block it does not avoid, or null when none is. */
  takePending(source: SourceState, room: number, now: number): Run | null {
    const { book, avoids } = this.#p;
    const first = book.firstPending((id) => avoids(source, id));
    if (first < 0) return null;
    const count = this.#extend(
      first,
      room,
      (id) => book.isPending(id) && !avoids(source, id),
    );
    return this.#issue(source, first, count, false, now);
  }

  /** Adds to `out` copies of other sources' blocks in `candidates`, in their order. */
  copies(
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

  /**
   * Of the other active sources' queues, the one that would finish last: its
   * bytes that no other run holds, at its rate (unmeasured: never).
   */
  lastToFinish(except: SourceState): { from: SourceState; bytes: number } | null {
    let last: { from: SourceState; bytes: number; finish: number } | null = null;
    for (const from of this.#p.sources.states()) {
      if (from === except || from.inFlight === 0) continue;
      const bytes = this.#uncovered(from);
      const finish = from.rate > 0 ? bytes / from.rate : Infinity;
      if (bytes > 0 && (!last || finish > last.finish)) last = { from, bytes, finish };
    }
    return last;
  }

  /** Bytes of `source`'s queue (blocks of its attached runs not yet done) that no other run holds. */
  #uncovered(source: SourceState): number {
    const { book } = this.#p;
    let bytes = 0;
    for (const runId of source.runs) {
      const { run } = this.#runs.get(runId)!;
      for (let id = run.first; id < run.first + run.count; id++) {
        if (!book.done[id] && book.holders(id).length === 1) bytes += book.blocks[id]!.size;
      }
    }
    return bytes;
  }

  /**
   * Copies for `source` of about the last `bytes` of `from`'s queue (the
   * blocks it may copy, walking back from the newest run's end), issued front
   * to back: `from` works toward them from the front of its queue while
   * `source` delivers them, so the two meet in the middle.
   */
  copyTail(source: SourceState, from: SourceState, bytes: number, now: number, out: Run[]): void {
    const { book } = this.#p;
    const picked: number[] = [];
    let taken = 0;
    const queue = [...from.runs];
    for (let r = queue.length - 1; r >= 0 && taken < bytes; r--) {
      const { run } = this.#runs.get(queue[r]!)!;
      for (let id = run.first + run.count - 1; id >= run.first && taken < bytes; id--) {
        if (!this.#canCopy(source, id)) continue;
        picked.push(id);
        taken += book.blocks[id]!.size;
      }
    }
    picked.sort((a, b) => a - b);
    for (let i = 0; i < picked.length;) {
      const first = picked[i]!;
      let count = 1;
      while (
        count < this.#o.maxRunBlocks && picked[i + count] === first + count &&
        book.follows(first + count)
      ) count++;
      out.push(this.#issue(source, first, count, true, now));
      i += count;
    }
  }

  /**
   * `bytes` more of attached run `state` arrived: they leave its source's
   * window (no more than it still counts there). Returns how many did.
   */
  arrived(state: RunState, bytes: number): number {
    const n = Math.min(bytes, state.left);
    state.left -= n;
    this.#p.sources.get(state.run.source)!.inFlight -= n;
    return n;
  }

  /** The run is over: it leaves the books and stops holding its blocks (their fate is the caller's). */
  settle(state: RunState): void {
    this.#runs.delete(state.run.id);
    if (state.attached) this.#detach(state);
  }

  /** Source gone or dropped: its blocks go to others; late verified data is still welcome. */
  detachAll(source: SourceState): void {
    for (const runId of [...source.runs]) {
      const state = this.#runs.get(runId)!;
      this.#detach(state);
      this.release(state.run);
    }
  }

  release(run: Run): void {
    for (let id = run.first; id < run.first + run.count; id++) this.#p.book.release(id);
  }

  /**
   * Marks a verified block done (in `newlyDone` unless it was already); other
   * runs left with nothing to fetch are settled and listed in `cancel`.
   */
  finish(id: number, result: { newlyDone: number[]; cancel: number[] }): void {
    const { book } = this.#p;
    if (!book.markDone(id)) return;
    result.newlyDone.push(id);
    for (const runId of [...book.holders(id)]) {
      const state = this.#runs.get(runId)!;
      if (this.#allDone(state.run)) {
        this.settle(state);
        result.cancel.push(runId);
      }
    }
  }

  #allDone(run: Run): boolean {
    for (let id = run.first; id < run.first + run.count; id++) {
      if (!this.#p.book.done[id]) return false;
    }
    return true;
  }

  /** How many blocks from `first` go in one run: consecutive in one file, qualifying, within room. */
  #extend(
    first: number,
    room: number,
    qualifies: (id: number) => boolean,
    limit = Infinity,
  ): number {
    const blocks = this.#p.book.blocks;
    const max = Math.min(this.#o.maxRunBlocks, limit, blocks.length - first);
    let bytes = blocks[first]!.size;
    let count = 1;
    for (; count < max; count++) {
      const id = first + count;
      bytes += blocks[id]!.size;
      if (bytes > room || !this.#p.book.follows(id) || !qualifies(id)) break;
    }
    return count;
  }

  #canCopy(source: SourceState, id: number): boolean {
    const { book, avoids } = this.#p;
    if (book.done[id] || avoids(source, id)) return false;
    const holders = book.holders(id);
    if (holders.length === 0 || holders.length >= this.#o.maxCopies) return false;
    return holders.every((runId) => this.#runs.get(runId)!.run.source !== source.id);
  }

  #issue(source: SourceState, first: number, count: number, duplicate: boolean, now: number): Run {
    const id = this.#nextRunId++;
    let bytes = 0;
    for (let block = first; block < first + count; block++) {
      bytes += this.#p.book.blocks[block]!.size;
      this.#p.book.hold(block, id);
    }
    const run: Run = { id, source: source.id, first, count, bytes, sentAt: now, duplicate };
    this.#runs.set(id, { run, attached: true, ahead: source.inFlight, left: bytes });
    source.runs.add(id);
    source.inFlight += bytes;
    return { ...run };
  }

  /** The run stops holding its blocks and counting in its source's window; it may still complete. */
  #detach(state: RunState): void {
    const { run } = state;
    state.attached = false;
    this.#slow.delete(run.id);
    const source = this.#p.sources.get(run.source)!;
    source.runs.delete(run.id);
    source.inFlight -= state.left;
    state.left = 0;
    for (let id = run.first; id < run.first + run.count; id++) this.#p.book.unhold(id, run.id);
  }
}
