/**
 * Liveness of one peer, as pure logic that takes time as an input (like
 * quinn's protocol state), so tests drive it with a fake clock.
 *
 * Any traffic from a peer proves it alive, so a ping goes out only after the
 * peer has been silent for `pingIdleMs`, and the peer is declared dead after
 * `timeoutMs` of silence, pings unanswered included.
 *
 * The round-trip time shown for a peer comes from answered pings. Liveness
 * pings go out from one side only (its ping is traffic the other side
 * hears), and never to a busy peer, so each side also probes on its own
 * every `probeEveryMs`: one small request per peer per interval.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";

export type LivenessAction = "none" | "ping" | "dead";

export interface LivenessOptions {
  /** @default {LIMITS.pingIdleMs} */
  pingIdleMs?: number;
  /** @default {LIMITS.livenessTimeoutMs} */
  timeoutMs?: number;
  /**
   * How often the round trip is measured (the first, `pingIdleMs` after connecting).
   * @default {15_000}
   */
  probeEveryMs?: number;
}

export class Liveness {
  #lastHeard: number;
  #pingSentAt: number | null = null;
  #pingIdleMs: number;
  #timeoutMs: number;
  #rttMs: number | null = null;
  #probeEveryMs: number;
  #lastProbe: number;

  constructor(now: number, options: LivenessOptions = {}) {
    this.#lastHeard = now;
    this.#pingIdleMs = options.pingIdleMs ?? LIMITS.pingIdleMs;
    this.#timeoutMs = options.timeoutMs ?? LIMITS.livenessTimeoutMs;
    this.#probeEveryMs = options.probeEveryMs ?? 15_000;
    this.#lastProbe = now - this.#probeEveryMs + this.#pingIdleMs;
  }

  /** Something arrived from the peer. */
  heard(now: number): void {
    this.#lastHeard = Math.max(this.#lastHeard, now);
    if (this.#pingSentAt !== null && this.#pingSentAt <= now) this.#pingSentAt = null;
  }

  /** What to do now: nothing, send a ping (recorded as sent), or give up. */
  tick(now: number): LivenessAction {
    const silent = now - this.#lastHeard;
    if (silent >= this.#timeoutMs) return "dead";
    if (silent < this.#pingIdleMs) return "none";
    // One ping per idle interval: a lost ping is retried, a slow one is not doubled.
    if (this.#pingSentAt !== null && now - this.#pingSentAt < this.#pingIdleMs) return "none";
    this.#pingSentAt = now;
    this.#lastProbe = now; // its answer measures the round trip too
    return "ping";
  }

  /** Whether to send a ping now to measure the round trip (recorded as sent). */
  probe(now: number): boolean {
    if (now - this.#lastProbe < this.#probeEveryMs) return false;
    this.#lastProbe = now;
    return true;
  }

  get lastHeard(): number {
    return this.#lastHeard;
  }

  /**
   * A ping was answered after `sampleMs`: the round-trip time, smoothed as
   * TCP smooths it (RFC 6298: the first sample as is, then 7/8 old + 1/8 new).
   */
  answered(sampleMs: number): void {
    const sample = Math.max(0, sampleMs);
    this.#rttMs = this.#rttMs === null ? sample : this.#rttMs + (sample - this.#rttMs) / 8;
  }

  /** The smoothed round-trip time of pings, or null before the first answer. */
  get rttMs(): number | null {
    return this.#rttMs;
  }
}
