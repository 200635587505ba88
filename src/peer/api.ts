/**
 * What a user can ask of a peer: the operations behind the JSONL harness
 * and the HTTP API, so the two can never disagree. Each either returns data
 * or throws a {@linkcode CommandError} with a code the caller can act on.
 *
 * The API stands on narrow parts ({@linkcode ApiParts}) that the composition
 * root (runtime.ts) hands it: it never sees the services themselves, and
 * tests build it from fakes.
 *
 * @module
 */
import { resolve } from "node:path";
import { abortable } from "../common/async.ts";
import { CommandError } from "../common/errors.ts";
import type { EventLog } from "../common/events.ts";
import type { HostPort } from "../wire/transport.ts";
import type { DiscoveredPeer } from "../mdns/mod.ts";
import type { Cover } from "./cover.ts";
import { mergeGames, offersByGame, type PeerGames } from "./game_rows.ts";
import { isGameId, type LocalGame } from "./library/mod.ts";
import { ConnectError } from "./sync/manager.ts";
import { formatAddr, parseAddr, type PeerView } from "./sync/peer_table.ts";
import type {
  DownloadView,
  GameDetail,
  GameRow,
  InstallView,
  Operation,
  PeerRow,
  Settings,
  Started,
} from "./views.ts";

/** The parts the API is built from; each is a few functions of one service. */
export interface ApiParts {
  /** The runtime's status record (identity, library, discovery, services). */
  status(): Record<string, unknown> & { gamesDir: string; protocolVersion: number };
  events: EventLog;
  /** Aborted when the peer starts shutting down: pending commands end at once. */
  stopping: AbortSignal;
  peers: {
    /** Every peer we hold a record of. */
    list(): PeerView[];
    /** Connected peers' libraries. */
    libraries(): PeerGames[];
    /** Dials and completes hello. */
    connect(target: HostPort, signal?: AbortSignal): Promise<PeerView>;
  };
  dialer: {
    /** Keeps an address connected from now on. */
    keep(target: HostPort, peerId: string): void;
    /** Peers mDNS announced that the dialer tries, with their failed attempts. */
    discovered(): { peerId: string; failures: number }[];
  };
  /** Peers mDNS currently announces (none when mDNS is off). */
  heard(): DiscoveredPeer[];
  library: {
    games(): LocalGame[];
    /** Shared files of a local game (path, size), sorted; empty when unknown. */
    files(game: string): { path: string; size: number }[];
    setGamesDir(path: string): Promise<void>;
  };
  /** The operation running on each game (one at a time: src/peer/operations.ts). */
  operations: {
    current(game: string): Operation | null;
    running(): { game: string; operation: Operation }[];
  };
  downloads: {
    views(): DownloadView[];
    start(
      game: string,
      options: { install: boolean },
    ): Promise<{ sources: string[]; version: string }>;
    cancel(game: string): Promise<void>;
  };
  installs: {
    install(game: string): Promise<{ game: string; version: string; files: number; bytes: number }>;
    uninstall(game: string): Promise<{ game: string }>;
    remove(game: string): Promise<{ game: string }>;
    play(game: string, options: { server: boolean }): Promise<Started>;
    /** Whether an installed game has a start and a server command (undefined: not known yet). */
    commands(game: string): { playable: boolean; hasServer: boolean } | undefined;
    /** A running install's progress, or null. */
    progress(game: string): InstallView | null;
  };
  settings: {
    get(): Settings;
    update(patch: Partial<Settings>): Promise<Settings>;
  };
  /** For the page: a game's cover image (ours, else a peer's). @default {no covers} */
  covers?: {
    read(game: string, signal?: AbortSignal): Promise<Cover | null>;
  };
}

export class PeerApi {
  #p: ApiParts;

  constructor(parts: ApiParts) {
    this.#p = parts;
  }

  /** The event log every reader (harness, HTTP, tests) follows. */
  get events(): EventLog {
    return this.#p.events;
  }

  status() {
    return this.#p.status();
  }

  /** Peers we hold, plus those mDNS announced that we have not reached (yet). */
  listPeers(): PeerRow[] {
    const ours = this.#p.status().protocolVersion;
    const held = this.#p.peers.list();
    const known = new Set(held.map((p) => p.peerId));
    const failures = new Map(this.#p.dialer.discovered().map((t) => [t.peerId, t.failures]));
    const heard: PeerView[] = this.#p.heard()
      .filter((p) => !known.has(p.peerId) && failures.has(p.peerId))
      .map((p) => ({
        peerId: p.peerId,
        name: p.name,
        addr: p.addrs[0] ? formatAddr(p.addrs[0], p.port) : "",
        state: failures.get(p.peerId)! > 0 ? "unreachable" : "connecting",
        protocolVersion: p.protocolVersion,
        rev: p.rev,
        games: [],
        bytesSent: 0,
        bytesReceived: 0,
        rttMs: null,
      }));
    return [...held, ...heard]
      .sort((a, b) => a.peerId < b.peerId ? -1 : 1)
      .map((p) => ({ ...p, ourProtocolVersion: ours }));
  }

  listGames(): GameRow[] {
    const rows = mergeGames(this.#p.library.games(), this.#p.peers.libraries(), {
      operation: (game): Operation | null => this.#p.operations.current(game),
    });
    for (const row of rows) {
      const commands = row.installed ? this.#p.installs.commands(row.id) : undefined;
      row.playable = commands?.playable ?? false;
      row.hasServer = commands?.hasServer ?? false;
      const install = row.operation === "install" || row.operation === "update"
        ? this.#p.installs.progress(row.id)
        : null;
      if (install) row.install = install;
    }
    return rows;
  }

  /** One game with its files, every peer's offer and its active download. */
  gameDetail(game: string): GameDetail {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    const row = this.listGames().find((g) => g.id === game);
    if (!row) throw new CommandError("not-found", `no game ${game} here or on any peer`);
    const offers = (offersByGame(this.#p.peers.libraries()).get(game) ?? [])
      .map(({ game: _wire, ...offer }) => offer);
    return {
      ...row,
      files: row.downloaded ? this.#p.library.files(game) : [],
      offers,
      download: this.downloads().find((d) => d.game === game) ?? null,
    };
  }

  /** Active downloads with their progress and sources. */
  downloads(): DownloadView[] {
    const names = new Map(this.#p.peers.list().map((p) => [p.peerId, p.name]));
    return this.#p.downloads.views().map((d) => ({
      ...d,
      sources: d.sources.map((s) => ({ ...s, name: names.get(s.peerId) ?? s.peerId })),
    }));
  }

  /** Connects to `addr` now and keeps it connected from then on. */
  async connect(addr: string, signal?: AbortSignal): Promise<PeerView> {
    const target = parseAddr(addr);
    if (!target) throw new CommandError("bad-request", `not a host:port address: ${addr}`);
    try {
      const peer = await this.#p.peers.connect(target, this.#signal(signal));
      this.#p.dialer.keep(target, peer.peerId);
      return peer;
    } catch (error) {
      this.#throwIfStopping();
      if (error instanceof ConnectError) throw new CommandError(error.code, error.message);
      throw error;
    }
  }

  /** Resolves once at least `count` peers are connected. */
  async waitPeers(count: number, timeoutMs: number, signal?: AbortSignal): Promise<PeerView[]> {
    const connected = () => this.#p.peers.list().filter((p) => p.state === "connected");
    if (connected().length >= count) return connected();
    const both = AbortSignal.any([this.#signal(signal), AbortSignal.timeout(timeoutMs)]);
    try {
      await abortable(
        this.#p.events.waitFor(() => connected().length >= count, { signal: both }),
        { signal: both },
      );
    } catch {
      this.#throwIfStopping();
      if (signal?.aborted) throw new CommandError("timeout", "the caller gave up waiting");
      throw new CommandError(
        "timeout",
        `${connected().length} of ${count} peers connected after ${timeoutMs} ms`,
      );
    }
    return connected();
  }

  /**
   * Switches to another games folder. Refused while any operation runs (a
   * download's or an install's files would land in the old folder) and when
   * the path is a file.
   */
  async setGameDir(path: string): Promise<string> {
    this.#throwIfStopping();
    const busy = this.#p.operations.running();
    if (busy.length > 0 && resolve(path) !== resolve(this.#p.status().gamesDir)) {
      const what = busy.map((b) => `${b.game} (${b.operation})`).join(", ");
      throw new CommandError("busy", `cannot change the games folder while ${what} runs`);
    }
    const info = await Deno.stat(path).catch(() => null);
    if (info && !info.isDirectory) throw new CommandError("bad-request", `${path} is not a folder`);
    await this.#p.library.setGamesDir(path);
    return this.#p.status().gamesDir;
  }

  /**
   * Starts downloading `game` from every peer that offers its newest
   * version; with `install`, installs (or updates) it right after the commit.
   */
  async download(game: string, options: { install: boolean }) {
    this.#throwIfStopping();
    const started = await this.#p.downloads.start(game, options);
    return { game, ...started };
  }

  /** Cancels a download; its partial files are removed, the old version stays. */
  async cancel(game: string): Promise<void> {
    await this.#p.downloads.cancel(game);
  }

  /** Installs (or updates) a downloaded game into `local/`; resolves once done. */
  install(game: string): Promise<{ game: string; version: string; files: number; bytes: number }> {
    this.#throwIfStopping();
    return this.#p.installs.install(game);
  }

  /** Removes the installed tree `local/`; the downloaded files stay. */
  uninstall(game: string): Promise<{ game: string }> {
    this.#throwIfStopping();
    return this.#p.installs.uninstall(game);
  }

  /** Deletes the downloaded files; refused with `installed` while `local/` exists. */
  remove(game: string): Promise<{ game: string }> {
    this.#throwIfStopping();
    return this.#p.installs.remove(game);
  }

  /** Starts the game (or its server) detached; resolves once the process runs. */
  play(game: string, options: { server: boolean }): Promise<Started> {
    this.#throwIfStopping();
    return this.#p.installs.play(game, options);
  }

  settings(): Settings {
    return this.#p.settings.get();
  }

  /** Changes settings; answers the settings now in force (persisted). */
  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    this.#throwIfStopping();
    return await this.#p.settings.update(patch);
  }

  // --- For the web page (src/http) -------------------------------------------

  /** The cover image of `game` (PNG, JPEG, GIF or WebP), or null when there is none. */
  async cover(game: string, signal?: AbortSignal): Promise<Cover | null> {
    if (!isGameId(game)) throw new CommandError("bad-request", `not a game id: ${game}`);
    return await this.#p.covers?.read(game, signal) ?? null;
  }

  #signal(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#p.stopping]) : this.#p.stopping;
  }

  #throwIfStopping(): void {
    if (this.#p.stopping.aborted) throw new CommandError("shutting-down", "the peer is stopping");
  }
}
