/**
 * The composition root (ARCHITECTURE.md "Threads of control"): builds every service of a peer, runs each
 * under one AbortSignal with its supervision policy, and shuts down in order:
 * stop dialling, stop downloads between blocks, goodbye to every peer, close
 * the endpoint, stop the library, and resolve once every task has ended.
 *
 * Order at start matters: the QUIC listener is bound before anything dials
 * or announces, so every address we hand out already answers (no cold-start
 * race where a peer sees us before it can reach us).
 *
 * @module
 */
import type { EventLog } from "../common/events.ts";
import type { Logger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import type { RateGate } from "../common/rate_limit.ts";
import type { Operations } from "../common/operations.ts";
import type { HostPort, Transport } from "../wire/transport.ts";
import { Discovery } from "../mdns/mod.ts";
import { buildParts, type Parts, type RuntimeOptions } from "./build.ts";
import type { Library } from "./library/mod.ts";
import type { PeerManager } from "./sync/manager.ts";
import { Dialer } from "./sync/dialer.ts";
import { formatAddr } from "./sync/peer_table.ts";
import { Supervisor } from "./supervisor.ts";
import { PeerApi } from "./api.ts";
import { apiParts } from "./api_parts.ts";
import type { Settings } from "./views.ts";
import type { SettingsPatch, SettingsStore } from "./settings.ts";
import type { DownloadManager } from "./download/manager.ts";
import type { Installs } from "./install/mod.ts";

export type { RuntimeOptions };

export class Runtime {
  readonly events: EventLog;
  readonly peerId: string;
  readonly protocolVersion: number;
  /** The operations users ask for (harness, HTTP API). */
  readonly api: PeerApi;
  #library: Library;
  #manager: PeerManager;
  #dialer: Dialer;
  #supervisor: Supervisor;
  #transport: Transport;
  #downloads: DownloadManager;
  #installs: Installs;
  #operations: Operations;
  /** mDNS discovery, when on. */
  #discovery: Discovery | null = null;
  /** Resolves once the runtime has stopped; `failed` when a required service died. */
  readonly finished: Promise<{ failed: boolean }>;
  #abort = new AbortController();
  /** Aborted first at shutdown: nothing new is dialled while we say goodbye. */
  #outbound = new AbortController();
  #log: Logger;
  #party: string;
  #failed = false;
  #settings: SettingsStore;
  #uploadGate: RateGate;
  #downloadGate: RateGate;
  #stopping: Promise<void> | null = null;
  #resolveFinished!: (value: { failed: boolean }) => void;
  /** Services built on the API by main.ts (the web page), shown in status by name. */
  #attached = new Map<string, () => unknown>();

  private constructor(options: RuntimeOptions, parts: Parts) {
    this.events = parts.events;
    this.peerId = parts.peerId;
    this.protocolVersion = parts.version;
    this.#transport = parts.transport;
    this.#library = parts.library;
    this.#manager = parts.manager;
    this.#downloads = parts.downloads;
    this.#installs = parts.installs;
    this.#operations = parts.operations;
    this.#party = parts.party;
    this.#log = options.log;
    this.#settings = parts.settings;
    this.#uploadGate = parts.uploadGate;
    this.#downloadGate = parts.downloadGate;
    this.finished = new Promise((resolve) => this.#resolveFinished = resolve);
    this.#supervisor = new Supervisor({
      events: parts.events,
      log: options.log.child("supervisor"),
      onFatal: () => {
        this.#failed = true;
        this.stop();
      },
    });
    const manager = parts.manager;
    this.#dialer = new Dialer({
      connect: (target, id, signal) => manager.connect(target, id, signal),
      peers: () => manager.peers(),
      log: options.log.child("dial"),
    });
    this.api = this.#buildApi();
  }

  /** The user operations, from the few functions of each service they need. */
  #buildApi(): PeerApi {
    return new PeerApi(apiParts({
      status: () => this.status(),
      events: this.events,
      stopping: this.#outbound.signal,
      manager: this.#manager,
      dialer: this.#dialer,
      discovery: () => this.#discovery,
      library: this.#library,
      operations: this.#operations,
      installs: this.#installs,
      downloads: this.#downloads,
      settings: {
        get: () => this.#settings.get(),
        update: (patch) => this.#updateSettings(patch),
      },
    }));
  }

  /** Our name, as peers see it. */
  get name(): string {
    return this.#settings.get().name;
  }

  /** Stores a settings change and puts it in force at once. */
  async #updateSettings(patch: SettingsPatch): Promise<Settings> {
    const { settings, changed } = await this.#settings.update(patch);
    for (const key of changed) {
      if (key === "uploadLimit") this.#uploadGate.setRate(settings.uploadLimit);
      if (key === "downloadLimit") this.#downloadGate.setRate(settings.downloadLimit);
      if (key === "uploadsPerPeer") this.#manager.setUploadsPerPeer(settings.uploadsPerPeer);
      if (key === "name") {
        this.#manager.rename(settings.name);
        // mDNS announces the new name after probing it anew, as at a start.
        this.#discovery?.setName(settings.name);
        if (this.#discovery) this.#supervisor.restart("discovery");
      }
    }
    if (changed.length > 0) {
      this.#log.info(`settings changed: ${changed.join(", ")}`);
      this.events.emit("settings-changed", { changed });
    }
    return settings;
  }

  /** Starts a peer: identity, listener, library, peers. Throws if the port is taken. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const parts = await buildParts(options);
    const runtime = new Runtime(options, parts);
    // The first scan completes before any hello, so peers get a real snapshot at once.
    runtime.#startLibrary();
    await parts.library.ready;
    parts.events.emit("local-peer-ready", { peerId: parts.peerId, addr: runtime.addr });
    options.log.info(
      `peer ${runtime.name} (${parts.peerId}) listening on ${runtime.addr}, party ${parts.party}`,
    );
    runtime.#startPeers(parts.targets);
    if (options.mdns) runtime.#startDiscovery(options.log.child("mdns"));
    await parts.downloads.resume();
    return runtime;
  }

  /** Announces us and dials every lanspread peer mDNS finds (README "Development"). */
  #startDiscovery(log: Logger): void {
    const announced = new Set<string>();
    const discovery = new Discovery({
      name: this.name,
      peerId: this.peerId,
      port: this.#transport.addr.port,
      protocolVersion: this.protocolVersion,
      rev: this.#library.rev,
      log,
      onPeer: (peer) => {
        if (peer.peerId === this.peerId) return;
        if (!announced.has(peer.peerId)) {
          announced.add(peer.peerId);
          const addr = peer.addrs[0] ? formatAddr(peer.addrs[0], peer.port) : "";
          this.events.emit("peer-discovered", { peerId: peer.peerId, name: peer.name, addr });
        }
        this.#dialer.addDiscovered(peer.peerId, peer.name, peer.addrs, peer.port);
        this.#manager.noteRevision(peer.peerId, peer.rev);
      },
      onPeerLost: (peerId) => {
        announced.delete(peerId);
        this.#dialer.removeDiscovered(peerId);
      },
    });
    this.#library.onChange((delta) => discovery.setRevision(delta.toRev));
    this.#discovery = discovery;
    const signal = AbortSignal.any([this.#abort.signal, this.#outbound.signal]);
    const policy = { kind: "restart", delayMs: 2_000 } as const;
    this.#supervisor.start("discovery", policy, signal, (s) => discovery.run(s));
  }

  /**
   * Runs a service built on the API outside src/peer (the web page, which
   * main.ts starts: src/peer never imports src/http) under the supervisor,
   * best effort, until shutdown; `status()` shows it under `name`.
   */
  attach(
    name: string,
    service: { run: (signal: AbortSignal) => Promise<void>; status: () => unknown },
  ): void {
    this.#attached.set(name, service.status);
    this.#supervisor.start(name, { kind: "best-effort" }, this.#abort.signal, service.run);
  }

  #startLibrary(): void {
    const signal = this.#abort.signal;
    this.#supervisor.start("library", { kind: "best-effort" }, signal, (s) => this.#library.run(s));
  }

  #startPeers(targets: HostPort[]): void {
    const signal = this.#abort.signal;
    const sup = this.#supervisor;
    sup.start("transport", { kind: "required" }, signal, (s) => this.#manager.run(s));
    for (const target of targets) this.#dialer.add(target);
    const outbound = AbortSignal.any([signal, this.#outbound.signal]);
    sup.start("dialer", { kind: "restart", delayMs: 1_000 }, outbound, (s) => this.#dialer.run(s));
  }

  /** The UDP port of our QUIC endpoint. */
  get port(): number {
    return this.#transport.addr.port;
  }

  /** The address others can reach us at ("host:port"). */
  get addr(): string {
    return formatAddr(displayHost(this.#transport.addr.hostname), this.#transport.addr.port);
  }

  status() {
    const library = this.#library.status();
    return {
      peerId: this.peerId,
      name: this.name,
      addr: this.addr,
      gamesDir: library.gamesDir,
      protocolVersion: this.protocolVersion,
      /** Fingerprint of the party CA: equal on every member, reveals nothing of the key. */
      party: this.#party,
      library,
      discovery: this.#discovery?.status() ?? null,
      ...Object.fromEntries([...this.#attached].map(([name, status]) => [name, status()])),
      services: this.#supervisor.status(),
    };
  }

  /** Stops the peer (idempotent); resolves when every task has ended. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#outbound.abort(new Error("shutdown"));
    await this.#downloads.stopAll();
    await this.#installs.stopAll();
    try {
      await this.#manager.goodbyeAll("shutdown");
    } catch (error) {
      this.#log.warn(`goodbye failed: ${errorMessage(error)}`);
    }
    this.#abort.abort(new Error("shutdown"));
    this.#transport.close();
    await this.#supervisor.settled();
    this.#resolveFinished({ failed: this.#failed });
  }
}

/** A host others can dial: the bound one, or for a wildcard our first LAN address. */
function displayHost(bound: string): string {
  if (bound !== "0.0.0.0" && bound !== "::") return bound;
  try {
    const lan = Deno.networkInterfaces().find((i) => i.family === "IPv4" && !isLoopback(i.address));
    return lan?.address ?? "127.0.0.1";
  } catch {
    return "127.0.0.1";
  }
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.");
}
