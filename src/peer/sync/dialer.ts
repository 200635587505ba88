/**
 * Keeps dialling the peers we should be connected to, with capped
 * exponential backoff, for as long as they are not connected: a peer that
 * is not up yet, restarts or drops off the network is reconnected without
 * anybody asking.
 *
 * Two kinds of targets:
 * - addresses the user named (`--connect`, harness `connect`): dialled
 *   forever; after the first contact the target remembers the peer id and
 *   later dials pin it (TLS server name `<id>.lanspread`); if the identity at
 *   that address changed, the pin is dropped after a failure;
 * - peers mDNS discovered: pinned to their announced id from the start,
 *   dialled at each announced address in turn, and forgotten when mDNS says
 *   they left.
 *
 * @module
 */
import { delay } from "../../common/async.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import type { HostPort } from "../../wire/transport.ts";
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

/** A peer mDNS announced and we have not reached (yet). */
export interface DiscoveredTarget {
  peerId: string;
  name: string;
  addr: string;
  failures: number;
}

interface Target {
  key: string;
  /** Addresses to try, in turn. */
  hosts: HostPort[];
  peerId: string | null;
  name: string | null;
  discovered: boolean;
  failures: number;
  stop: AbortController;
}

export class Dialer {
  #o: Required<DialerOptions>;
  #targets = new Map<string, Target>();
  #signal: AbortSignal | null = null;
  #loops = new Set<Promise<void>>();

  constructor(options: DialerOptions) {
    this.#o = {
      ...options,
      minBackoffMs: options.minBackoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
      checkMs: options.checkMs ?? 500,
    };
  }

  /** Adds an address to keep connected (idempotent); dialling starts at once when running. */
  add(target: HostPort, peerId: string | null = null): void {
    const key = formatAddr(target.hostname, target.port);
    const existing = this.#targets.get(key);
    if (existing) {
      existing.peerId ??= peerId;
      return;
    }
    this.#insert({ key, hosts: [target], peerId, name: null, discovered: false });
  }

  /** Adds or updates a peer mDNS announced at `addrs` (IPv4) and `port`. */
  addDiscovered(peerId: string, name: string, addrs: string[], port: number): void {
    const hosts = addrs.map((hostname) => ({ hostname, port }));
    const existing = this.#targets.get(`mdns:${peerId}`);
    if (existing) {
      existing.hosts = hosts;
      existing.name = name;
      return;
    }
    this.#insert({ key: `mdns:${peerId}`, hosts, peerId, name, discovered: true });
  }

  /** Stops dialling a peer mDNS says has left. */
  removeDiscovered(peerId: string): void {
    const target = this.#targets.get(`mdns:${peerId}`);
    if (!target) return;
    this.#targets.delete(target.key);
    target.stop.abort();
  }

  /** Discovered peers that are not connected, for the peer list. */
  discovered(): DiscoveredTarget[] {
    return [...this.#targets.values()].filter((t) => t.discovered && !this.#satisfied(t)).map((
      t,
    ) => ({
      peerId: t.peerId!,
      name: t.name ?? t.peerId!,
      addr: t.hosts[0] ? formatAddr(t.hosts[0].hostname, t.hosts[0].port) : "",
      failures: t.failures,
    }));
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

  #insert(fields: Omit<Target, "failures" | "stop">): void {
    const target: Target = { ...fields, failures: 0, stop: new AbortController() };
    this.#targets.set(target.key, target);
    if (this.#signal) this.#start(target, this.#signal);
  }

  #start(target: Target, signal: AbortSignal): void {
    const both = AbortSignal.any([signal, target.stop.signal]);
    const loop = this.#loop(target, both).catch(() => {});
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
        await delay(this.#o.checkMs, { signal });
        continue;
      }
      const host = target.hosts[target.failures % Math.max(1, target.hosts.length)];
      try {
        if (!host) throw new Error("no address announced");
        const peer = await this.#o.connect(host, target.peerId, signal);
        target.peerId = peer.peerId;
        target.failures = 0;
        backoff = this.#o.minBackoffMs;
      } catch (error) {
        if (signal.aborted) return;
        target.failures++;
        const log = target.failures === 1 ? this.#o.log.info : this.#o.log.debug;
        log(`cannot reach ${target.name ?? target.key} yet (${errorMessage(error)}); retrying`);
        // A pinned dial may fail because the identity at that address changed.
        if (!target.discovered && target.peerId && target.failures > 1) target.peerId = null;
        await delay(backoff, { signal });
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs);
      }
    }
  }
}
