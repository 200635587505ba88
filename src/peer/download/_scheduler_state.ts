/**
 * Bookkeeping of the swarm scheduler (`scheduler.ts`): the state of every
 * block; of every source, with its throughput estimate; and which sources are
 * active or dropped. Internal to the scheduler: `scheduler.ts` holds the
 * policy, `_scheduler_runs.ts` the runs in flight.
 *
 * @module
 */

/** One hashed block of the game: which file (index into the manifest's files), its block index in that file, its size in bytes. */
export interface BlockSpec {
  file: number;
  index: number;
  size: number;
}

/**
 * Time constant of the throughput estimate: samples older than a few of these
 * (in busy time) no longer count, so the estimate follows a source that slows
 * down within seconds.
 */
const RATE_TIME_CONSTANT_MS = 1_000;

/** Binary min-heap of numbers. */
class MinHeap {
  #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): number | undefined {
    return this.#items[0];
  }

  push(value: number): void {
    const items = this.#items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * One source of a download. Its rate is bytes delivered over the time it was
 * busy (had requests in flight), both decayed exponentially with busy time.
 * Busy time rather than each request's own latency: with a window of
 * pipelined requests, a request's latency includes the queue ahead of it at
 * the source, and bytes / latency would under-read the link by the window's
 * depth. Ratio of decayed sums rather than an average of per-request ratios:
 * requests served concurrently finish together, and their near-zero
 * intervals would make single samples absurd.
 */
export class SourceState {
  active = true;
  dropped = false;
  strikes = 0;
  pausedUntil = 0;
  /** Bytes of this source's attached runs. */
  inFlight = 0;
  /** Ids of this source's attached runs. */
  readonly runs = new Set<number>();
  #bytes = 0;
  #busyMs = 0;
  #mark = 0;

  constructor(readonly id: string) {}

  /** Bytes per second; 0 before any delivery. */
  get rate(): number {
    return this.#bytes === 0 ? 0 : this.#bytes * 1000 / Math.max(this.#busyMs, 1);
  }

  /** The source went from idle to busy: idle time is not its fault. */
  busyFrom(now: number): void {
    this.#mark = now;
  }

  delivered(bytes: number, now: number): void {
    const ms = Math.max(0, now - this.#mark);
    const keep = Math.exp(-ms / RATE_TIME_CONSTANT_MS);
    this.#bytes = this.#bytes * keep + bytes;
    this.#busyMs = this.#busyMs * keep + ms;
    this.#mark = now;
  }

  /** A failed request: trust the measured rate less. */
  penalize(): void {
    this.#bytes /= 2;
  }
}

/** The sources of a download: those active now, and those dropped for bad data, which stay out. */
export class SourceRoster {
  #sources = new Map<string, SourceState>();
  #activeCount = 0;

  get activeCount(): number {
    return this.#activeCount;
  }

  get(id: string): SourceState | undefined {
    return this.#sources.get(id);
  }

  /** A new source, or one that left coming back; a dropped one stays out. */
  add(id: string, now: number): void {
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

  /** Source `id` leaves; returns it when it was active, for its runs to be detached. */
  leave(id: string): SourceState | null {
    const source = this.#sources.get(id);
    if (!source?.active) return null;
    source.active = false;
    this.#activeCount--;
    return source;
  }

  /** `source` is dropped for bad data: it leaves and stays out. */
  drop(source: SourceState): void {
    source.dropped = true;
    source.active = false;
    this.#activeCount--;
  }

  active(): string[] {
    return [...this.#sources.values()].filter((s) => s.active).map((s) => s.id);
  }

  /** The active sources' states. */
  *states(): Iterable<SourceState> {
    for (const source of this.#sources.values()) if (source.active) yield source;
  }

  dropped(): string[] {
    return [...this.#sources.values()].filter((s) => s.dropped).map((s) => s.id);
  }
}

const NO_HOLDERS: readonly number[] = Object.freeze([]);

/**
 * Each block is done, held (in flight in one or more attached runs), or
 * pending (neither). The lowest pending block is found without scanning:
 * blocks at or past `#fresh` were never handed out, so only released blocks
 * below it need the heap, whose entries are checked lazily (a block may have
 * been taken again, or finished, since it was pushed).
 */
export class BlockBook {
  readonly done: Uint8Array;
  doneCount = 0;
  doneBytes = 0;
  readonly totalBytes: number;
  #fresh = 0;
  #released = new MinHeap();
  /** Block id → ids of the attached runs holding it. */
  #holders = new Map<number, number[]>();
  /** Block id → the source that last delivered it bad. */
  #spoiledBy = new Map<number, string>();

  constructor(readonly blocks: readonly BlockSpec[], done: Iterable<number>) {
    this.done = new Uint8Array(blocks.length);
    let total = 0;
    for (const block of blocks) total += block.size;
    this.totalBytes = total;
    for (const id of done) {
      if (Number.isInteger(id) && id >= 0 && id < blocks.length) this.markDone(id);
    }
  }

  isPending(id: number): boolean {
    return this.done[id] === 0 && !this.#holders.has(id);
  }

  holders(id: number): readonly number[] {
    return this.#holders.get(id) ?? NO_HOLDERS;
  }

  /** Whether `next` may share a run with the block before it: same file, consecutive. */
  follows(next: number): boolean {
    const prev = this.blocks[next - 1]!;
    const block = this.blocks[next]!;
    return block.file === prev.file && block.index === prev.index + 1;
  }

  /** False when it was done already. */
  markDone(id: number): boolean {
    if (this.done[id]) return false;
    this.done[id] = 1;
    this.doneCount++;
    this.doneBytes += this.blocks[id]!.size;
    this.#spoiledBy.delete(id);
    return true;
  }

  hold(id: number, runId: number): void {
    const holders = this.#holders.get(id);
    if (holders) holders.push(runId);
    else this.#holders.set(id, [runId]);
    this.#spoiledBy.delete(id);
    if (id >= this.#fresh) this.#fresh = id + 1;
  }

  unhold(id: number, runId: number): void {
    const holders = this.#holders.get(id);
    if (!holders) return;
    const at = holders.indexOf(runId);
    if (at >= 0) holders.splice(at, 1);
    if (holders.length === 0) this.#holders.delete(id);
  }

  /** Back to pending when nothing holds it and it is not done. */
  release(id: number): void {
    if (this.isPending(id)) this.#released.push(id);
  }

  spoiled(id: number, source: string): void {
    if (!this.done[id]) this.#spoiledBy.set(id, source);
  }

  spoiledBy(id: number): string | undefined {
    return this.#spoiledBy.get(id);
  }

  /** Lowest pending block for which `skip` is false, or -1. */
  firstPending(skip?: (id: number) => boolean): number {
    const skipped: number[] = [];
    let found = -1;
    for (let id = this.#released.peek(); id !== undefined; id = this.#released.peek()) {
      if (!this.isPending(id)) this.#released.pop();
      else if (skip?.(id)) skipped.push(this.#released.pop()!);
      else {
        found = id;
        break;
      }
    }
    for (const id of skipped) this.#released.push(id);
    if (found >= 0) return found;
    while (this.#fresh < this.blocks.length && this.done[this.#fresh]) this.#fresh++;
    return this.#fresh < this.blocks.length ? this.#fresh : -1;
  }
}
