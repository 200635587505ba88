/**
 * Zero-configuration discovery of lanspread peers: the service the peer
 * runtime runs. It drives the pure {@linkcode MdnsCore} (responder and
 * browser, RFC 6762/6763) with real time and a transport (UDP sockets by
 * default, see `socket.ts`), and reports peers as they come and go.
 *
 * One timer: after every input (packet, revision change, interface check)
 * the core is polled and the timer re-armed for its next deadline, so an
 * idle node wakes only when the protocol has something to do.
 *
 * @module
 */
import { type Logger, silentLogger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import type { DiscoveredPeer } from "./cache_peers.ts";
import { type CoreStats, MdnsCore } from "./core.ts";
import type { InterfaceInfo } from "./interfaces.ts";
import { instanceLabel } from "./records.ts";
import { UdpTransport } from "./socket.ts";
import { type IfaceAddress, MDNS_PORT, type MdnsTransport, type Random } from "./types.ts";
import { DiscoveryRun } from "./_discovery_run.ts";

export type { DiscoveredPeer };

/** Options of {@linkcode Discovery}. */
export interface DiscoveryOptions {
  /** Our name; becomes the instance label (renamed "name (2)" on conflict). */
  name: string;
  peerId: string;
  /** Our QUIC port, published in SRV. */
  port: number;
  protocolVersion: number;
  /** Library revision, published in TXT. */
  rev: number;
  /** @default {silentLogger} */
  log?: Logger;
  /** A new peer, or a change of a known one's addresses, port, revision or version. */
  onPeer?: (peer: DiscoveredPeer) => void;
  /** A peer said goodbye (TTL 0) or its records expired. */
  onPeerLost?: (peerId: string) => void;
  /** UDP port of mDNS. @default {5353} */
  mdnsPort?: number;
  /** Which non-loopback IPv4 interfaces to use. @default {all} */
  interfaceFilter?: (info: InterfaceInfo) => boolean;
  /** How often interfaces are re-read (also after any send failure). @default {10000} */
  interfaceCheckMs?: number;
  /** Monotonic clock in ms. @default {performance.now} */
  now?: () => number;
  /** @default {Math.random} */
  random?: Random;
  /** The datagram transport. @default {UDP sockets (`UdpTransport`)} */
  transport?: MdnsTransport;
}

/** What {@linkcode Discovery.status} reports. */
export interface DiscoveryStatus {
  lastError: string | null;
  /** Interfaces in use, as `name/address`. */
  interfaces: string[];
  instanceName: string;
}

/** mDNS/DNS-SD discovery service. */
export class Discovery {
  #options: DiscoveryOptions;
  #rev: number;
  #core: MdnsCore | null = null;
  #running = false;
  #label: string;
  #lastError: string | null = null;
  #interfaces: IfaceAddress[] = [];
  #stats: CoreStats = { multicastSent: 0, unicastSent: 0, received: 0, dropped: 0 };
  #wake: (() => void) | null = null;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(options: DiscoveryOptions) {
    this.#options = options;
    this.#rev = options.rev;
    this.#label = instanceLabel(options.name);
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Our instance label, after conflict resolution. */
  get instanceName(): string {
    return this.#core?.responder.label ?? this.#label;
  }

  /** Our name from the next run on (the caller restarts the service to announce it). */
  setName(name: string): void {
    this.#options = { ...this.#options, name };
    this.#label = instanceLabel(name);
  }

  /** Publishes a new library revision (TXT re-announced). */
  setRevision(rev: number): void {
    this.#rev = rev;
    this.#core?.setRevision(rev, this.#now());
    this.#wake?.();
  }

  /** Peers known now (empty when not running). */
  peers(): DiscoveredPeer[] {
    return this.#core?.peers() ?? [];
  }

  status(): DiscoveryStatus {
    return {
      lastError: this.#lastError,
      interfaces: this.#interfaces.map((i) => i.id),
      instanceName: this.instanceName,
    };
  }

  /** Packet counters of the current (or last) run. */
  stats(): CoreStats {
    return { ...(this.#core?.stats ?? this.#stats) };
  }

  /**
   * Runs until `signal` aborts, then sends goodbyes and resolves. Rejects if
   * the transport fails for good (the caller may run it again later).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("discovery is already running");
    if (signal.aborted) return;
    this.#running = true;
    try {
      await this.#run(signal);
    } finally {
      this.#running = false;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const core = new MdnsCore({ ...o, rev: this.#rev, log: this.#log });
    const run = new DiscoveryRun({
      core,
      transport: o.transport ?? new UdpTransport({
        port: o.mdnsPort ?? MDNS_PORT,
        interfaceFilter: o.interfaceFilter,
        log: this.#log,
      }),
      log: this.#log,
      now: this.#now,
      interfaceCheckMs: o.interfaceCheckMs ?? 10_000,
      onInterfaces: (interfaces) => this.#interfaces = interfaces,
    });
    try {
      await run.open();
    } catch (error) {
      this.#lastError = `cannot open mDNS socket: ${errorMessage(error)}`;
      throw new Error(this.#lastError, { cause: error });
    }
    this.#core = core;
    this.#wake = () => run.pump();
    const onAbort = () => run.stop();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      await run.run();
    } catch (error) {
      this.#lastError = `mDNS failed: ${errorMessage(error)}`;
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#wake = null;
      await run.close();
      this.#stats = { ...core.stats };
      this.#label = core.responder.label;
      this.#core = null;
      this.#interfaces = [];
    }
    if (run.fatal) {
      this.#lastError = `mDNS socket failed: ${errorMessage(run.fatal)}`;
      throw new Error(this.#lastError, { cause: run.fatal });
    }
  }
}
