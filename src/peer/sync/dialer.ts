/**
 * Keeps dialling the addresses the user named (`--connect`, harness
 * `connect`) with capped exponential backoff, for as long as the peer there
 * is not connected: a peer that is not up yet, restarts or drops off the
 * network is reconnected without anybody asking.
 *
 * After the first contact the target remembers the peer id and later dials
 * pin it (TLS server name `<id>.lanspread`); if the identity at that address
 * changed, the pin is dropped after one failure.
 *
 * @module
 */
import { sleep } from "../async.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { HostPort } from "../transport.ts";
import type { PeerView } from "./peer_table.ts";
import { formatAddr } from "./peer_table.ts";

export interface DialerOptions {
  connect(target: HostPort, expectedId: string | null, signal: AbortSignal): Promise<PeerView>;
  peers(): PeerView[];
  log: Logger;
  /** @default {200} */
  minBackoffMs?: number;
  /** @default {5000} */
  maxBackoffMs?: number;
  /** How often a satisfied target is re-checked. @default {500} */
  checkMs?: number;
}

interface Target extends HostPort {
  key: string;
  peerId: string | null;
  failures: number;
}

export class Dialer {
  #o: Required<DialerOptions>;
  #targets = new Map<string, Target>();
  #signal: AbortSignal | null = null;
  #loops = new Set<Promise<void>>();

  constructor(options: DialerOptions) {
    this.#o = { minBackoffMs: 200, maxBackoffMs: 5_000, checkMs: 500, ...options };
  }

  /** Adds a target (idempotent); dialling starts at once when running. */
  add(target: HostPort, peerId: string | null = null): void {
    const key = formatAddr(target.hostname, target.port);
    const existing = this.#targets.get(key);
    if (existing) {
      existing.peerId ??= peerId;
      return;
    }
    const entry = { ...target, key, peerId, failures: 0 };
    this.#targets.set(key, entry);
    if (this.#signal) this.#start(entry, this.#signal);
  }

  /** Dials every target until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    for (const target of this.#targets.values()) this.#start(target, signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.allSettled([...this.#loops]);
    this.#signal = null;
  }

  #start(target: Target, signal: AbortSignal): void {
    const loop = this.#loop(target, signal).catch(() => {});
    this.#loops.add(loop);
    loop.finally(() => this.#loops.delete(loop));
  }

  #satisfied(target: Target): boolean {
    return this.#o.peers().some((p) =>
      (p.state === "connected" || p.state === "incompatible") &&
      (p.peerId === target.peerId || p.addr === target.key)
    );
  }

  async #loop(target: Target, signal: AbortSignal): Promise<void> {
    let backoff = this.#o.minBackoffMs;
    while (!signal.aborted) {
      if (this.#satisfied(target)) {
        backoff = this.#o.minBackoffMs;
        await sleep(this.#o.checkMs, signal);
        continue;
      }
      try {
        const peer = await this.#o.connect(target, target.peerId, signal);
        target.peerId = peer.peerId;
        target.failures = 0;
        backoff = this.#o.minBackoffMs;
      } catch (error) {
        if (signal.aborted) return;
        target.failures++;
        const log = target.failures === 1 ? this.#o.log.info : this.#o.log.debug;
        log(`cannot reach ${target.key} yet (${errorMessage(error)}); retrying`);
        // A pinned dial may fail because the identity at that address changed.
        if (target.peerId && target.failures > 1) target.peerId = null;
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs);
      }
    }
  }
}
