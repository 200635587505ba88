/**
 * Measures how long the event loop stalls while work runs elsewhere (an
 * extraction in its worker): a timer that should fire every `periodMs`
 * notes how late it was. The install logs the longest stall at debug level,
 * where the install benchmark reads it.
 *
 * @module
 */
export class StallMeter {
  #timer: ReturnType<typeof setInterval>;
  #start = performance.now();
  #last = this.#start;
  longestMs = 0;
  /** When the longest stall ended, ms after the meter started. */
  longestAtMs = 0;

  /** @param periodMs how often the timer should fire. @default 10 */
  constructor(readonly periodMs = 10) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      const lag = now - this.#last - periodMs;
      if (lag > this.longestMs) (this.longestMs = lag, this.longestAtMs = now - this.#start);
      this.#last = now;
    }, periodMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
