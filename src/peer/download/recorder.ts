/**
 * Records a download's progress in the state dir as it goes (progress.ts
 * has the format): often and cheaply, so that a crash costs little to fetch
 * again, and never claiming as durable a block that was not flushed.
 *
 * - every SAVE_EVERY_BYTES of newly verified data or SAVE_EVERY_MS, the
 *   verified set is saved, blocks not yet flushed as `unconfirmed`;
 * - every FLUSH_EVERY_MS the staging files are flushed first, and what was
 *   written before the flush becomes `verified`.
 *
 * @module
 */
import type { BlockPlan } from "./plan.ts";
import { verifyRun } from "./plan.ts";
import { saveProgress } from "./progress.ts";
import type { Staging } from "./staging.ts";
import type { DownloadTarget } from "./progress.ts";

/** Unsaved verified bytes that trigger a save: bounds what a crash makes us fetch again. */
const SAVE_EVERY_BYTES = 8 * 1024 * 1024;
const SAVE_EVERY_MS = 250;
/** How often written blocks are made durable, so that a restart trusts them unhashed. */
const FLUSH_EVERY_MS = 2_000;

export class ProgressRecorder {
  #stateDir: string;
  #target: DownloadTarget;
  #plan: BlockPlan;
  #staging: Staging;
  #now: () => number;
  /** Verified blocks known flushed to disk; the rest of `target.verified` is only written. */
  #durable: Set<number>;
  #unsaved = 0;
  #saving: Promise<void> | null = null;
  #lastSave = 0;
  #lastFlush = 0;
  /** The first save that failed: the download cannot go on without its record. */
  error: unknown = null;

  constructor(
    stateDir: string,
    target: DownloadTarget,
    plan: BlockPlan,
    staging: Staging,
    now: () => number,
  ) {
    this.#stateDir = stateDir;
    this.#target = target;
    this.#plan = plan;
    this.#staging = staging;
    this.#now = now;
    this.#durable = new Set(target.verified);
  }

  /**
   * After a restart: hashes again the blocks that were written but maybe not
   * flushed, and keeps as verified those that still match.
   */
  async confirm(): Promise<void> {
    const { unconfirmed, verified, manifest } = this.#target;
    for (const id of unconfirmed) {
      const spec = this.#plan.blocks[id];
      if (!spec) continue;
      const bytes = await this.#staging.read(spec.file, spec.index * manifest.blockSize, spec.size);
      if (bytes && (await verifyRun(this.#plan, id, 1, bytes)).ok[0]) verified.add(id);
    }
    unconfirmed.clear();
  }

  /** Blocks were verified and written; saves when enough has piled up. */
  add(ids: number[]): void {
    for (const id of ids) {
      this.#target.verified.add(id);
      this.#unsaved += this.#plan.blocks[id]!.size;
    }
    if (this.#saving) return;
    if (this.#unsaved < SAVE_EVERY_BYTES && this.#now() - this.#lastSave < SAVE_EVERY_MS) return;
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

  /** Saves now (after the save under way, if any). */
  async save(): Promise<void> {
    await this.#saving; // one save at a time, or an older record could land last
    const written = new Set(this.#target.verified);
    this.#unsaved = 0;
    this.#lastSave = this.#now();
    if (this.#lastSave - this.#lastFlush >= FLUSH_EVERY_MS) {
      this.#lastFlush = this.#lastSave;
      await this.#staging.flush();
      this.#durable = written;
    }
    await saveProgress(this.#stateDir, {
      ...this.#target,
      verified: this.#durable,
      unconfirmed: new Set([...written].filter((id) => !this.#durable.has(id))),
      blocks: this.#plan.blocks.length,
    });
  }
}
