/**
 * An in-memory link for {@linkcode MdnsCore} nodes with a simulated clock:
 * hours of protocol time run in milliseconds, deterministically, with no
 * socket and no timer. Used by the timer-logic tests and by the benchmark's
 * steady-state traffic figure.
 *
 * Multicast reaches every node on the link, the sender included (as with
 * IP_MULTICAST_LOOP); unicast reaches the node with that address, or a
 * listener registered with {@linkcode SimLink.listen} (a legacy resolver).
 *
 * @module
 */
import { type CoreOptions, MdnsCore } from "./core.ts";
import type { DiscoveredPeer } from "./cache_peers.ts";
import type { Datagram, Endpoint, Random } from "./types.ts";
import { MDNS_PORT } from "./types.ts";

/** A deterministic PRNG (mulberry32), for reproducible runs. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One node and what it observed. */
export interface SimNode {
  core: MdnsCore;
  address: string;
  iface: string;
  /** Peer events in order: [time, "peer" | "lost", peerId, peer?]. */
  events: { at: number; kind: "peer" | "lost"; peerId: string; peer?: DiscoveredPeer }[];
  /** Multicast datagrams this node sent, with their send time. */
  multicasts: { at: number; data: Uint8Array }[];
}

/** Options of {@linkcode SimLink}. */
export interface SimLinkOptions {
  /** One-way delay of every datagram. @default {1} */
  latencyMs?: number;
  /** PRNG seed. @default {1} */
  seed?: number;
  /** Probability that a datagram is lost. @default {0} */
  loss?: number;
}

interface InFlight {
  at: number;
  seq: number;
  from: SimNode | null;
  fromEndpoint: Endpoint;
  datagram: Datagram;
}

/** A simulated Ethernet segment. */
export class SimLink {
  now = 0;
  readonly nodes: SimNode[] = [];
  readonly random: Random;
  #inFlight: InFlight[] = [];
  #seq = 0;
  #listeners = new Map<string, (data: Uint8Array, from: Endpoint) => void>();
  readonly #latency: number;
  readonly #loss: number;

  constructor(options: SimLinkOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    this.#latency = options.latencyMs ?? 1;
    this.#loss = options.loss ?? 0;
  }

  /** Adds and starts a node at address `10.77.0.<n>` unless given. */
  add(options: Partial<CoreOptions> & { name: string; peerId: string; address?: string }): SimNode {
    const address = options.address ?? `10.77.0.${this.nodes.length + 2}`;
    const node: SimNode = {
      core: null!,
      address,
      iface: `sim0/${address}`,
      events: [],
      multicasts: [],
    };
    node.core = new MdnsCore({
      port: 47800,
      protocolVersion: 1,
      rev: 0,
      random: this.random,
      ...options,
      onPeer: (peer) => node.events.push({ at: this.now, kind: "peer", peerId: peer.peerId, peer }),
      onPeerLost: (peerId) => node.events.push({ at: this.now, kind: "lost", peerId }),
    });
    node.core.setInterfaces([{ id: node.iface, address }], this.now);
    node.core.start(this.now);
    this.nodes.push(node);
    return node;
  }

  /** Stops a node; with `goodbye` its goodbye packets go out first. */
  remove(node: SimNode, goodbye = true): void {
    const out = node.core.stop(this.now);
    if (goodbye) this.#transmit(node, out);
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  /** Sends raw bytes from an outside endpoint (a hostile host, a legacy resolver). */
  inject(data: Uint8Array, from: Endpoint, to: Destination = "multicast"): void {
    this.#inFlight.push({
      at: this.now + this.#latency,
      seq: this.#seq++,
      from: null,
      fromEndpoint: from,
      datagram: { iface: "", to, data },
    });
  }

  /** Receives unicast sent to `endpoint` (which is not a node). */
  listen(endpoint: Endpoint, onData: (data: Uint8Array, from: Endpoint) => void): void {
    this.#listeners.set(`${endpoint.hostname}:${endpoint.port}`, onData);
  }

  /** Runs until `until` (ms of simulated time); bounded in events. */
  runUntil(until: number, maxEvents = 1_000_000): void {
    for (let i = 0; i < maxEvents; i++) {
      const nodeAt = Math.min(...this.nodes.map((n) => n.core.nextDeadline()));
      const packetAt = Math.min(...this.#inFlight.map((p) => p.at));
      const at = Math.min(nodeAt, packetAt);
      if (at > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, at);
      if (packetAt <= nodeAt) this.#deliver();
      else for (const node of [...this.nodes]) this.#transmit(node, node.core.poll(this.now));
    }
    throw new Error(`simulation did not settle within ${maxEvents} events`);
  }

  /** Runs for `ms` more. */
  run(ms: number): void {
    this.runUntil(this.now + ms);
  }

  #transmit(node: SimNode, out: Datagram[]): void {
    for (const datagram of out) {
      if (datagram.to === "multicast") node.multicasts.push({ at: this.now, data: datagram.data });
      if (this.random() < this.#loss) continue;
      this.#inFlight.push({
        at: this.now + this.#latency,
        seq: this.#seq++,
        from: node,
        fromEndpoint: { hostname: node.address, port: MDNS_PORT },
        datagram,
      });
    }
  }

  #deliver(): void {
    this.#inFlight.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const p = this.#inFlight.shift()!;
    const { to, data } = p.datagram;
    if (to === "multicast") {
      for (const node of [...this.nodes]) {
        node.core.receive(data, p.fromEndpoint, node.iface, false, this.now);
      }
      return;
    }
    const node = this.nodes.find((n) => n.address === to.hostname && to.port === MDNS_PORT);
    if (node) node.core.receive(data, p.fromEndpoint, node.iface, true, this.now);
    else this.#listeners.get(`${to.hostname}:${to.port}`)?.(data, p.fromEndpoint);
  }
}

type Destination = Datagram["to"];
