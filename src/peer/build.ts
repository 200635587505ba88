/**
 * Building a peer's services (the first half of the composition root,
 * runtime.ts runs them): identity and party, the bound QUIC endpoint, the
 * recovery of what a crash interrupted (downloads' commits, installs) before
 * the library looks at the folder, the settings in force, then the library,
 * installs, connections and downloads wired to each other.
 *
 * @module
 */
import { EventLog } from "../common/events.ts";
import { CommandError } from "../common/errors.ts";
import { ALPN_ANY_VERSION, alpnFor, PROTOCOL_VERSION } from "../wire/protocol.ts";
import { Party } from "../trust/party.ts";
import { loadIdentity } from "../trust/identity.ts";
import { type HostPort, Transport } from "../wire/transport.ts";
import { Library } from "./library/mod.ts";
import { PeerManager } from "./sync/manager.ts";
import { formatAddr, parseAddr } from "./sync/peer_table.ts";
import { SettingsStore } from "./settings.ts";
import { DownloadManager } from "./download/manager.ts";
import { recoverCommits } from "./download/commit.ts";
import { peerSourceOf } from "./download/peer_source.ts";
import { RateGate } from "../common/rate_limit.ts";
import { Operations } from "../common/operations.ts";
import { Installs, recoverInstalls } from "./install/mod.ts";
import type { Logger } from "../common/log.ts";
import type { SchedulerOptions } from "./download/scheduler.ts";
import type { SettingName } from "./settings.ts";

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

/** The services a runtime is made of. */
export interface Parts {
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
  /** Addresses to keep connected. */
  targets: HostPort[];
  /** What the start log line names. */
  version: number;
}

/** Builds every service of a peer; nothing runs yet. Throws if the port is taken. */
export async function buildParts(options: RuntimeOptions): Promise<Parts> {
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
  // So is an interrupted install, update, uninstall or remove (ARCHITECTURE.md "Install: transactions and recovery").
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
  let quiet: (() => void) | null = null;
  const operations = new Operations(events, {
    // Downloads and installs write into the games dir: the watcher would
    // only drop their events, at a cost per event (Library.quiet).
    onBusy: (busy) => {
      if (busy) quiet ??= library.quiet();
      else {
        quiet?.();
        quiet = null;
      }
    },
  });
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
  return {
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
    targets,
    version,
  };
}
