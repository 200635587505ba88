/**
 * Liveness of one peer, as pure logic that takes time as an input (like
 * quinn's protocol state), so tests drive it with a fake clock.
 *
 * Any traffic from a peer proves it alive, so a ping goes out only after the
 * peer has been silent for `pingIdleMs`, and the peer is declared dead after
 * `timeoutMs` of silence, pings unanswered included.
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
}

export class Liveness {
  #lastHeard: number;
  #pingSentAt: number | null = null;
  #pingIdleMs: number;
  #timeoutMs: number;

  constructor(now: number, options: LivenessOptions = {}) {
    this.#lastHeard = now;
    this.#pingIdleMs = options.pingIdleMs ?? LIMITS.pingIdleMs;
    this.#timeoutMs = options.timeoutMs ?? LIMITS.livenessTimeoutMs;
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
    return "ping";
  }

  get lastHeard(): number {
    return this.#lastHeard;
  }
}
