/**
 * One mDNS node — our responder and our browser behind a single packet
 * entry point — as a pure state machine: bytes and the current time go in,
 * datagrams and peer events come out. The socket driver (`discovery.ts`)
 * and the in-memory simulation (`simulation.ts`) both run this same code.
 *
 * Receive-side rules applied here (RFC 6762):
 * - §18.3 / §18.11: messages with a non-zero opcode or rcode are ignored;
 * - §6: responses whose source port is not 5353 are ignored;
 * - our own multicasts, looped back by the kernel (possibly via a second
 *   interface on the same link), are recognised and ignored;
 * - malformed packets are dropped with a debug log and counted.
 *
 * @module
 */
import { type Logger, silentLogger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import { decodePacket } from "./packet.ts";
import { Browser } from "./browser.ts";
import type { DiscoveredPeer } from "./cache_peers.ts";
import { Responder, type ResponderOptions } from "./responder.ts";
import type { Datagram, Endpoint, IfaceAddress } from "./types.ts";
import { MDNS_PORT } from "./types.ts";

/** Options of {@linkcode MdnsCore}. */
export interface CoreOptions extends ResponderOptions {
  /** A peer appeared or its record changed. */
  onPeer?: (peer: DiscoveredPeer) => void;
  /** A peer said goodbye or its records expired. */
  onPeerLost?: (peerId: string) => void;
  /** Browser cache bound. @default {2048} */
  maxEntries?: number;
}

/** Counters for tests, status and the benchmark. */
export interface CoreStats {
  multicastSent: number;
  unicastSent: number;
  received: number;
  dropped: number;
}

const OWN_MEMORY_MS = 5000;

function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of data) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Responder + browser for one peer. */
export class MdnsCore {
  readonly responder: Responder;
  readonly browser: Browser;
  readonly stats: CoreStats = { multicastSent: 0, unicastSent: 0, received: 0, dropped: 0 };
  #peers = new Map<string, DiscoveredPeer>();
  #sent = new Map<number, { data: Uint8Array; at: number }[]>();
  #addresses = new Set<string>();
  #firstIface: string | null = null;
  #stopped = false;
  readonly #options: CoreOptions;
  readonly #mdnsPort: number;
  readonly #log: Logger;

  constructor(options: CoreOptions) {
    this.#options = options;
    this.#mdnsPort = options.mdnsPort ?? MDNS_PORT;
    this.#log = options.log ?? silentLogger;
    this.responder = new Responder(options);
    this.browser = new Browser({
      random: options.random,
      log: this.#log,
      maxEntries: options.maxEntries,
      ownRecords: () => {
        const iface = this.#firstIface;
        const own = this.responder.running && iface ? this.responder.records(iface) : null;
        return own ? [own.ptr] : [];
      },
    });
  }

  /** Starts probing and browsing. */
  start(now: number): void {
    this.responder.start(now);
    this.browser.start(now);
  }

  /** Replaces the interface list. */
  setInterfaces(list: IfaceAddress[], now: number): void {
    this.#addresses = new Set(list.map((i) => i.address));
    this.#firstIface = list[0]?.id ?? null;
    this.responder.setInterfaces(list, now);
    this.browser.setInterfaces(list, now);
  }

  /** Publishes a new library revision. */
  setRevision(rev: number, now: number): void {
    this.responder.setRevision(rev, now);
  }

  /** Handles one datagram that arrived on interface `iface`. Never throws on bad input. */
  receive(data: Uint8Array, from: Endpoint, iface: string, unicast: boolean, now: number): void {
    if (this.#stopped) return;
    this.stats.received++;
    if (this.#isOwn(data, from, now)) return;
    const decoded = decodePacket(data);
    const drop = (why: string) => {
      this.stats.dropped++;
      this.#log.debug(`dropped packet from ${from.hostname}:${from.port}: ${why}`);
    };
    if (!decoded.ok) return drop(decoded.error);
    const packet = decoded.packet;
    if (packet.opcode !== 0 || packet.rcode !== 0) {
      return drop(`opcode ${packet.opcode} rcode ${packet.rcode}`);
    }
    const rx = { packet, from, iface, unicast };
    if (packet.response && from.port !== this.#mdnsPort) {
      return drop("response not from the mDNS port");
    }
    try {
      if (packet.response) {
        this.responder.handleResponse(rx, now);
        this.browser.handleResponse(rx, now);
      } else {
        this.responder.handleQuery(rx, now);
        this.browser.handleQuery(rx, now);
      }
    } catch (error) {
      // A packet that decodes but trips a bug must cost that packet only.
      this.#log.warn(`packet from ${from.hostname} not handled: ${errorMessage(error)}`);
      return drop(errorMessage(error));
    }
    this.#updatePeers();
  }

  /** Runs everything due by `now`; returns datagrams to send. */
  poll(now: number): Datagram[] {
    if (this.#stopped) return [];
    const out = [...this.responder.poll(now), ...this.browser.poll(now)];
    this.#updatePeers();
    return this.#record(out, now);
  }

  /** When {@linkcode poll} next has work. */
  nextDeadline(): number {
    return this.#stopped
      ? Infinity
      : Math.min(this.responder.nextDeadline(), this.browser.nextDeadline());
  }

  /** Stops for good; returns the goodbye datagrams. */
  stop(now: number): Datagram[] {
    if (this.#stopped) return [];
    this.#stopped = true;
    return this.#record(this.responder.stop(), now);
  }

  /** Peers currently known. */
  peers(): DiscoveredPeer[] {
    return [...this.#peers.values()];
  }

  #record(out: Datagram[], now: number): Datagram[] {
    for (const [hash, list] of this.#sent) {
      const kept = list.filter((s) => now - s.at < OWN_MEMORY_MS);
      if (kept.length > 0) this.#sent.set(hash, kept);
      else this.#sent.delete(hash);
    }
    for (const d of out) {
      if (d.to !== "multicast") {
        this.stats.unicastSent++;
        continue;
      }
      this.stats.multicastSent++;
      const hash = fnv1a(d.data);
      this.#sent.set(hash, [...(this.#sent.get(hash) ?? []), { data: d.data, at: now }]);
    }
    return out;
  }

  /**
   * A looped-back copy of our own multicast: same bytes, recently sent, from
   * one of our addresses on the mDNS port. (Content alone is not enough:
   * two peers' first queries are byte-identical.)
   */
  #isOwn(data: Uint8Array, from: Endpoint, now: number): boolean {
    if (from.port !== this.#mdnsPort || !this.#addresses.has(from.hostname)) return false;
    return (this.#sent.get(fnv1a(data)) ?? []).some((s) =>
      now - s.at < OWN_MEMORY_MS && equalBytes(s.data, data)
    );
  }

  #updatePeers(): void {
    if (!this.browser.takeChanged()) return;
    const next = this.browser.peers(this.#options.peerId);
    const previous = this.#peers;
    this.#peers = next;
    for (const [id, peer] of next) {
      const old = previous.get(id);
      if (!old || JSON.stringify(old) !== JSON.stringify(peer)) {
        this.#notify(() => this.#options.onPeer?.(peer));
      }
    }
    for (const id of previous.keys()) {
      if (!next.has(id)) this.#notify(() => this.#options.onPeerLost?.(id));
    }
  }

  /** A throwing listener must not break packet handling. */
  #notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#log.warn(`peer listener failed: ${errorMessage(error)}`);
    }
  }
}
