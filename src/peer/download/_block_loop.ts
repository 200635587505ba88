/**
 * The transfer phase of a download: the loop between the scheduler (pure:
 * what to ask whom) and the transfer (the requests), handing each source
 * work as room appears until every block is in, the download stops, or it
 * fails. Apart from download.ts, which runs the phases around it (staging,
 * resume check, proof and commit) and follows the sources.
 *
 * @module
 */
import { errorMessage, type LanspreadError } from "../../common/errors.ts";
import { batches } from "./plan.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";
import { isDiskFull } from "./staging.ts";
import { Transfer, type TransferParts } from "./transfer.ts";
import { asFailure, DownloadFailure } from "./_outcome.ts";

/** What the loop works with; all owned by the download. */
export interface LoopParts extends Omit<TransferParts, "scheduler" | "onRunSettled"> {
  /** Blocks already verified (a resume): the scheduler skips them. */
  verified: Set<number>;
  scheduling?: SchedulerOptions;
  /** Whether the download still runs (it stops between blocks). */
  running(): boolean;
}

export class BlockLoop {
  readonly scheduler: Scheduler;
  readonly transfer: Transfer;
  #p: LoopParts;
  #wake: (() => void) | null = null;
  #failure: LanspreadError | null = null;

  constructor(parts: LoopParts) {
    this.#p = parts;
    this.scheduler = new Scheduler(parts.plan.blocks, parts.verified, parts.scheduling);
    this.transfer = new Transfer({
      ...parts,
      scheduler: this.scheduler,
      onRunSettled: () => this.kick(),
    });
  }

  /** The first failure (the download's or the recorder's), or null. */
  get failure(): LanspreadError | null {
    return this.#failure;
  }

  /** Wakes the loop: a run settled, the sources changed, or the download stops. */
  kick(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Runs until every block is in, the download stops, or it fails; then saves the record. */
  async run(): Promise<void> {
    const { scheduler, transfer } = this;
    while (this.#p.running() && !this.hasFailed() && !scheduler.isDone()) {
      const now = this.#p.now();
      scheduler.tick(now);
      for (const source of scheduler.sources()) {
        for (const batch of batches(scheduler.next(source, now))) {
          transfer.send(batch, () => this.kick(), (error) => this.#failure ??= asFailure(error));
        }
      }
      // Woken by any completion or source change; the timeout drives tick().
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.kick(), 250);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await transfer.settled();
    if (this.#p.recorder.pending && !this.hasFailed()) await this.#p.recorder.save();
  }

  /** The download's own failure, or the recorder's (progress could not be saved). */
  hasFailed(): boolean {
    const { recorder } = this.#p;
    if (!this.#failure && recorder.error) {
      this.#failure = new DownloadFailure(
        isDiskFull(recorder.error) ? "disk-full" : "io-error",
        `cannot record progress: ${errorMessage(recorder.error)}`,
      );
    }
    return this.#failure !== null;
  }
}
