/**
 * Records a download's progress in the state dir as it goes (resume_state.ts
 * has the format): often and cheaply, so that a crash costs little to fetch
 * again, and never claiming as durable a block that was not flushed.
 *
 * - every SAVE_EVERY_BYTES of newly verified data or SAVE_EVERY_MS, the
 *   verified set is saved, blocks not yet flushed as `unconfirmed`;
 * - every FLUSH_EVERY_MS or FLUSH_EVERY_BYTES of newly written data (and at
 *   a clean stop) the staging files are flushed first, their stamps saved,
 *   and what was written before the flush becomes `verified`. Flushing by
 *   bytes too keeps the flush before the commit short: it writes back at
 *   most that much (at 1 Gbit/s, two seconds' worth took ~30 ms of the
 *   time to download-finished). Once less than FLUSH_EVERY_BYTES is left to
 *   fetch, every save flushes, so the last flush has at most one save's
 *   worth (SAVE_EVERY_BYTES) to write back: 3–8 ms instead of up to 30.
 *
 * At resume, {@linkcode ResumeRecorder.confirm} checks what is on disk:
 * a file whose stamp changed since its flush (or that is gone) has its
 * blocks hashed again, and only those that match are kept.
 *
 * @module
 */
import { Pacer } from "../../common/async.ts";
import type { BlockPlan } from "./plan.ts";
import { verifyBlock } from "./plan.ts";
import {
  appendStamps,
  bitsOf,
  type DownloadTarget,
  saveProgress,
  saveStamps,
} from "./resume_state.ts";
import { sameStamp, type Staging } from "./staging.ts";

/** Unsaved verified bytes that trigger a save: bounds what a crash makes us fetch again. */
const SAVE_EVERY_BYTES = 8 * 1024 * 1024;
const SAVE_EVERY_MS = 250;
/** How often written blocks are made durable, so that a restart trusts them unhashed. */
const FLUSH_EVERY_MS = 2_000;
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/** Options for {@linkcode ResumeRecorder}. */
export interface RecorderOptions {
  stateDir: string;
  target: DownloadTarget;
  plan: BlockPlan;
  staging: Staging;
  now: () => number;
}

export class ResumeRecorder {
  #o: RecorderOptions;
  /** Bitmap of every verified and written block (as `target.verified`). */
  #written: Uint8Array;
  /** Bitmap of the verified blocks known flushed to disk. */
  #durable: Uint8Array;
  #unsaved = 0;
  /** Verified bytes written since the last flush began. */
  #unflushed = 0;
  /** Bytes of the download not verified yet. */
  #left: number;
  #saving: Promise<void> | null = null;
  #lastSave = 0;
  #lastFlush = 0;
  /** The first save that failed: the download cannot go on without its record. */
  error: unknown = null;

  constructor(options: RecorderOptions) {
    this.#o = options;
    this.#written = bitsOf(options.plan.blocks.length, options.target.verified);
    this.#durable = this.#written.slice();
    this.#left = this.#leftOf(options.target.verified);
  }

  #leftOf(verified: Iterable<number>): number {
    let left = this.#o.plan.totalBytes;
    for (const id of verified) left -= this.#o.plan.blocks[id]?.size ?? 0;
    return left;
  }

  /**
   * After a restart: keeps the verified blocks of files whose stamp still
   * matches, and hashes again every other block that was written (a file
   * changed, truncated or gone since, or blocks never flushed), keeping
   * those that still match. Returns how many blocks were checked.
   */
  async confirm(): Promise<number> {
    const { verified, unconfirmed, stamps } = this.#o.target;
    const { plan, staging } = this.#o;
    const written = new Map<number, number[]>();
    for (const id of [...verified, ...unconfirmed]) {
      const spec = plan.blocks[id];
      if (!spec) continue;
      const list = written.get(spec.file) ?? [];
      list.push(id);
      written.set(spec.file, list);
    }
    const trusted = new Set<number>();
    const check: number[] = [];
    const rechecked = new Set<number>();
    const pacer = new Pacer();
    for (const [file, ids] of written) {
      await pacer.breathe();
      const saved = stamps.get(file);
      const now = staging.stamp(file);
      const same = saved !== undefined && now !== null && sameStamp(saved, now);
      for (const id of ids) {
        if (same && verified.has(id)) trusted.add(id);
        else if (now !== null) check.push(id);
      }
      if (!same && now !== null) rechecked.add(file);
      if (now === null) stamps.delete(file);
    }
    for (const id of check) {
      const spec = plan.blocks[id]!;
      const offset = spec.index * this.#o.target.manifest.blockSize;
      const bytes = await staging.read(spec.file, offset, spec.size);
      if (bytes && verifyBlock(plan, id, bytes)) trusted.add(id);
    }
    verified.clear();
    unconfirmed.clear();
    for (const id of trusted) verified.add(id);
    // What was just read back is made durable and stamped anew: the next resume trusts it.
    for (const [file, stamp] of await staging.sync(rechecked)) stamps.set(file, stamp);
    await saveStamps(this.#o.stateDir, this.#o.target.game, stamps); // compacted
    this.#written = bitsOf(plan.blocks.length, trusted);
    this.#left = this.#leftOf(trusted);
    this.#durable = this.#written.slice();
    return check.length;
  }

  /** Blocks were verified and written; saves when enough has piled up. */
  add(ids: number[]): void {
    for (const id of ids) {
      this.#o.target.verified.add(id);
      this.#written[id >> 3] = this.#written[id >> 3]! | (1 << (id & 7));
      const size = this.#o.plan.blocks[id]!.size;
      this.#unsaved += size;
      this.#unflushed += size;
      this.#left -= size;
    }
    if (this.#saving) return;
    if (this.#unsaved < SAVE_EVERY_BYTES && this.#o.now() - this.#lastSave < SAVE_EVERY_MS) return;
    this.#saving = this.save().catch((error) => {
      this.error ??= error;
    }).finally(() => {
      this.#saving = null;
    });
  }

  /** True when verified blocks are not saved yet. */
  get pending(): boolean {
    return this.#unsaved > 0;
  }

  /** Saves now (after the save under way, if any); `flush` forces the staging flush. */
  async save(options: { flush?: boolean } = {}): Promise<void> {
    await this.#saving; // one save at a time, or an older record could land last
    const { target, stateDir, staging } = this.#o;
    // What is written before the flush starts is durable once it ends.
    const written = this.#written.slice();
    this.#unsaved = 0;
    this.#lastSave = this.#o.now();
    if (
      options.flush || this.#lastSave - this.#lastFlush >= FLUSH_EVERY_MS ||
      this.#unflushed >= FLUSH_EVERY_BYTES || this.#left < FLUSH_EVERY_BYTES
    ) {
      this.#lastFlush = this.#lastSave;
      this.#unflushed = 0;
      const stamps = await staging.flush();
      for (const [file, stamp] of stamps) target.stamps.set(file, stamp);
      await appendStamps(stateDir, target.game, stamps);
      this.#durable = written;
    }
    const unconfirmed = written.map((bits, i) => bits & ~this.#durable[i]!);
    await saveProgress(stateDir, { ...target, verified: this.#durable, unconfirmed });
  }
}
