/**
 * The composition root (DESIGN §6): builds every service of a peer, runs each
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
import { EventLog } from "../common/events.ts";
import { type Logger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import { ALPN_ANY_VERSION, alpnFor, PROTOCOL_VERSION } from "../wire/protocol.ts";
import { Party } from "../trust/party.ts";
import { loadIdentity } from "../trust/identity.ts";
import { type HostPort, Transport } from "../wire/transport.ts";
import { Library } from "./library/mod.ts";
import { PeerManager } from "./sync/manager.ts";
import { Dialer } from "./sync/dialer.ts";
import { formatAddr, parseAddr } from "./sync/peer_table.ts";
import { Supervisor } from "./supervisor.ts";
import { CommandError } from "../common/errors.ts";
import { PeerApi } from "./api.ts";
import { Covers } from "./cover.ts";
import type { Settings } from "./views.ts";
import { type SettingName, SettingsPatch, SettingsStore } from "./settings.ts";
import { DownloadManager } from "./download/manager.ts";
import { Discovery } from "../mdns/mod.ts";
import { recoverCommits } from "./download/commit.ts";
import { peerSourceOf } from "./download/peer_source.ts";
import { RateGate } from "../common/rate_limit.ts";
import type { SchedulerOptions } from "./download/scheduler.ts";
import { Operations } from "../common/operations.ts";
import { Installs, recoverInstalls } from "./install/mod.ts";

/** Everything a peer is started with (the CLI fills it). */
export interface RuntimeOptions {
  gamesDir: string;
  stateDir: string;
  name: string;
  /** Address the QUIC endpoint binds. */
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  partyKey: string;
  /** Addresses to keep connected ("host:port"). */
  connect: string[];
  log: Logger;
  /** @default {a new log} */
  events?: EventLog;
  /** Only tests speak another version. @default {PROTOCOL_VERSION} */
  protocolVersion?: number;
  /** Upload cap in MB/s shared by every peer. @default {unlimited} */
  uploadLimit?: number;
  /** Download cap in MB/s shared by every download. @default {unlimited} */
  downloadLimit?: number;
  /** Blocks answers sent to one peer at once. @default {8} */
  uploadsPerPeer?: number;
  /** Tuning of the download scheduler (tests and benchmarks). */
  scheduler?: SchedulerOptions;
  /** Discover and announce peers with mDNS (the CLI turns it on). @default {false} */
  mdns?: boolean;
  /** Waits between commit attempts while a file is in use (tests). */
  commitRetryMs?: number[];
  /** Settings whose flag was given on the command line: they win over stored ones. */
  explicitSettings?: SettingName[];
  /** Tests: called at each named point of an install (they kill the process there). */
  installCheckpoint?: (point: string) => void | Promise<void>;
}

/** The services a runtime is made of, built by {@linkcode Runtime.start}. */
interface Parts {
  peerId: string;
  /** Fingerprint of the party CA. */
  party: string;
  transport: Transport;
  library: Library;
  events: EventLog;
  manager: PeerManager;
  downloads: DownloadManager;
  installs: Installs;
  operations: Operations;
  settings: SettingsStore;
  uploadGate: RateGate;
  downloadGate: RateGate;
}

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
    this.protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
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
    const manager = this.#manager;
    return new PeerApi({
      status: () => this.status(),
      events: this.events,
      stopping: this.#outbound.signal,
      peers: {
        list: () => manager.peers(),
        libraries: () =>
          manager.connected().map((r) => ({
            peerId: r.peerId,
            name: r.name,
            games: r.library.games,
          })),
        connect: (target, signal) => manager.connect(target, null, signal),
      },
      dialer: {
        keep: (target, peerId) => this.#dialer.add(target, peerId),
        discovered: () => this.#dialer.discovered(),
      },
      heard: () => this.#discovery?.peers() ?? [],
      library: {
        games: () => this.#library.games(),
        files: (game) => this.#library.files(game),
        setGamesDir: (path) => this.#library.setGamesDir(path),
      },
      operations: {
        current: (game) => this.#operations.current(game),
        running: () => this.#operations.running(),
      },
      installs: {
        install: (game) => this.#installs.install(game),
        uninstall: (game) => this.#installs.uninstall(game),
        remove: (game) => this.#installs.remove(game),
        play: (game, options) => this.#installs.play(game, options),
        commands: (game) => this.#installs.commands(game),
        progress: (game) => this.#installs.progress(game),
      },
      downloads: {
        views: () => this.#downloads.views(),
        start: (game, options) => this.#downloads.start(game, options),
        cancel: (game) => this.#downloads.cancel(game),
      },
      covers: this.#covers(),
      settings: {
        get: () => this.#settings.get(),
        update: (patch) => this.#updateSettings(patch),
      },
    });
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

  /** Cover images for the page: from our folder, else from a peer offering the game. */
  #covers(): Covers {
    return new Covers({
      local: (game) => {
        const own = this.#library.games().find((g) => g.id === game && g.downloaded);
        return own?.cover ? { gamesDir: this.#library.gamesDir, path: own.cover } : null;
      },
      remote: (game) =>
        this.#manager.connected().flatMap((r) => {
          const offer = r.library.games.find((g) => g.id === game);
          const session = this.#manager.session(r.peerId);
          if (!offer?.cover || !session) return [];
          return [{ peerId: r.peerId, version: offer.version, session, path: offer.cover }];
        }),
    });
  }

  /** Starts a peer: identity, listener, library, peers. Throws if the port is taken. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const events = options.events ?? new EventLog();
    const version = options.protocolVersion ?? PROTOCOL_VERSION;
    const targets = options.connect.map((a) => {
      const parsed = parseAddr(a);
      if (!parsed) throw new CommandError("bad-request", `not a host:port address: ${a}`);
      return parsed;
    });
    const party = await Party.derive(options.partyKey);
    const identity = await loadIdentity(options.stateDir, party, {
      log: options.log.child("identity"),
    });
    const transport = Transport.bind({
      hostname: options.host,
      port: options.port,
      keyPem: identity.keyPem,
      certPem: identity.certPem,
      caCertPem: party.caCertPem,
      alpnProtocols: [alpnFor(version), ALPN_ANY_VERSION],
    });
    // A commit a crash interrupted is finished before the library looks at the folder.
    await recoverCommits({
      stateDir: options.stateDir,
      gamesDir: options.gamesDir,
      log: options.log.child("download"),
    });
    // So is an interrupted install, update, uninstall or remove (DESIGN §8).
    await recoverInstalls({
      stateDir: options.stateDir,
      gamesDir: options.gamesDir,
      log: options.log.child("install"),
    });
    const settings = await SettingsStore.load({
      stateDir: options.stateDir,
      defaults: {
        name: options.name,
        playerName: options.name,
        language: "english",
        uploadLimit: options.uploadLimit ?? null,
        downloadLimit: options.downloadLimit ?? null,
        uploadsPerPeer: options.uploadsPerPeer ?? 8,
      },
      explicit: new Set(options.explicitSettings ?? []),
      log: options.log,
    });
    const chosen = settings.get();
    const uploadGate = new RateGate(chosen.uploadLimit);
    const downloadGate = new RateGate(chosen.downloadLimit);
    const operations = new Operations(events);
    let installs: Installs | null = null;
    const library = new Library({
      gamesDir: options.gamesDir,
      stateDir: options.stateDir,
      log: options.log.child("library"),
      events,
      installedVersion: (game) => installs?.installedVersion(game) ?? null,
    });
    installs = new Installs({
      gamesDir: () => library.gamesDir,
      stateDir: options.stateDir,
      events,
      log: options.log.child("install"),
      operations,
      downloadedVersion: (game) =>
        library.games().find((g) => g.id === game && g.downloaded)?.version ?? null,
      changed: () => library.rescan(),
      settings: () => settings.get(),
      checkpoint: options.installCheckpoint,
    });
    await installs.load();
    const advertised = formatAddr(options.host, transport.addr.port);
    const manager = new PeerManager({
      local: {
        peerId: identity.peerId,
        name: chosen.name,
        addr: advertised,
        protocolVersion: version,
        party,
        snapshot: () => library.snapshot(),
      },
      transport,
      library,
      events,
      log: options.log.child("peers"),
      uploadGate,
      uploadsPerPeer: chosen.uploadsPerPeer,
    });
    const downloads = new DownloadManager({
      gamesDir: () => library.gamesDir,
      stateDir: options.stateDir,
      peers: peerSourceOf(manager, events),
      events,
      log: options.log.child("download"),
      gate: downloadGate,
      localVersion: (game) =>
        library.games().find((g) => g.id === game && g.downloaded)?.version ?? null,
      onCommitted: (manifest) => library.adoptManifest(manifest),
      hold: (game) => library.hold(game),
      // The seed re-checks that file: content changed under its cache is noticed at once.
      onBadBlock: (peerId, game, path, index) =>
        void manager.session(peerId)?.reportBadBlock({ game, path, index }),
      scheduler: options.scheduler,
      commitRetryMs: options.commitRetryMs,
      operations,
      install: (game, claim) => {
        installs.install(game, claim).catch(() => {}); // its outcome is an event
      },
    });
    const runtime = new Runtime(options, {
      peerId: identity.peerId,
      party: party.fingerprint,
      transport,
      library,
      events,
      manager,
      downloads,
      installs,
      operations,
      settings,
      uploadGate,
      downloadGate,
    });
    // The first scan completes before any hello, so peers get a real snapshot at once.
    runtime.#startLibrary();
    await library.ready;
    events.emit("local-peer-ready", { peerId: identity.peerId, addr: runtime.addr });
    options.log.info(
      `peer ${chosen.name} (${identity.peerId}) listening on ${runtime.addr}, party ${party.fingerprint}`,
    );
    runtime.#startPeers(targets);
    if (options.mdns) runtime.#startDiscovery(options.log.child("mdns"));
    await downloads.resume();
    return runtime;
  }

  /** Announces us and dials every lanspread peer mDNS finds (DESIGN §1). */
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
