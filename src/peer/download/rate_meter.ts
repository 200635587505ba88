/**
 * Download speed as users want to see it: bytes per second over the last
 * few seconds, not since the start (which hides stalls) nor over the last
 * instant (which jumps with every block). Pure; time is an input.
 *
 * @module
 */

export class RateMeter {
  #samples: { at: number; done: number }[];
  #windowMs: number;

  constructor(done: number, now: number, windowMs = 3_000) {
    this.#samples = [{ at: now, done }];
    this.#windowMs = windowMs;
  }

  /** Records `done` bytes at `now` and returns the recent rate in bytes/s. */
  sample(done: number, now: number): number {
    this.#samples.push({ at: now, done });
    while (this.#samples.length > 2 && now - this.#samples[1]!.at >= this.#windowMs) {
      this.#samples.shift();
    }
    const first = this.#samples[0]!;
    const ms = now - first.at;
    return ms > 0 ? Math.max(0, (done - first.done) * 1000 / ms) : 0;
  }
}
