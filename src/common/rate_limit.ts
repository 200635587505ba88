/**
 * Byte-rate caps (`--upload-limit`, `--download-limit`): a token bucket that
 * is pure logic with time as an input, and an async gate around it. An
 * organiser's seeding host caps its uploads so it cannot starve the LAN.
 *
 * @module
 */
import { delay } from "./async.ts";

export interface TokenBucketOptions {
  /** Sustained rate in bytes per second. */
  bytesPerSecond: number;
  /** Largest burst in bytes. @default {one second of rate} */
  burstBytes?: number;
}

/** Token bucket: `reserve` says how long to wait before `bytes` may pass. */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #at: number;

  constructor(options: TokenBucketOptions, now: number) {
    if (!(options.bytesPerSecond > 0)) throw new RangeError("rate must be positive");
    this.#rate = options.bytesPerSecond;
    this.#burst = options.burstBytes ?? options.bytesPerSecond;
    this.#tokens = this.#burst;
    this.#at = now;
  }

  /** Takes `bytes` (going into debt if needed) and returns the wait in ms until they are covered. */
  reserve(bytes: number, now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate / 1000);
    this.#at = now;
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens * 1000 / this.#rate);
  }
}

/** An optional cap shared by every transfer in one direction. */
export class RateGate {
  #bucket: TokenBucket | null;
  #now: () => number;

  /** `megabytesPerSecond` 0, null or undefined means unlimited. */
  constructor(megabytesPerSecond: number | null | undefined, now: () => number = Date.now) {
    this.#now = now;
    this.#bucket = null;
    this.setRate(megabytesPerSecond);
  }

  /** Changes the cap from now on (0, null or undefined lifts it). */
  setRate(megabytesPerSecond: number | null | undefined): void {
    // A quarter second of burst: a cap should hold over short spans too.
    const rate = (megabytesPerSecond ?? 0) * 1e6;
    this.#bucket = rate
      ? new TokenBucket(
        { bytesPerSecond: rate, burstBytes: Math.max(65_536, rate / 4) },
        this.#now(),
      )
      : null;
  }

  get limited(): boolean {
    return this.#bucket !== null;
  }

  /** Resolves when `bytes` may pass; rejects when `signal` aborts first. */
  async pass(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.#bucket) return;
    const wait = this.#bucket.reserve(bytes, this.#now());
    if (wait > 0) await delay(wait, { signal });
  }
}
