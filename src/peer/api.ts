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
import { abortable } from "../common/async.ts";
import { CommandError } from "../common/errors.ts";
import type { EventLog } from "../common/events.ts";
import type { HostPort } from "../wire/transport.ts";
import { type GameView, mergeGames } from "./games_view.ts";
import type { LocalGame } from "./library/mod.ts";
import type { WireGame } from "../wire/protocol.ts";
import type { DiscoveredPeer } from "../mdns/mod.ts";
import { ConnectError } from "./sync/manager.ts";
import { formatAddr, parseAddr, type PeerView } from "./sync/peer_table.ts";

/** The parts the API is built from; each is a few functions of one service. */
export interface ApiParts {
  /** The runtime's status record (identity, library, discovery, services). */
  status(): Record<string, unknown> & { gamesDir: string };
  events: EventLog;
  peers: {
    /** Every peer we hold a record of. */
    list(): PeerView[];
    /** Connected peers' libraries. */
    libraries(): { peerId: string; games: WireGame[] }[];
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
    setGamesDir(path: string): Promise<void>;
  };
  downloads: {
    games(): string[];
    start(game: string, options: { install: boolean }): { sources: string[]; version: string };
    cancel(game: string): Promise<void>;
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
  listPeers(): PeerView[] {
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
      }));
    return [...held, ...heard].sort((a, b) => a.peerId < b.peerId ? -1 : 1);
  }

  listGames(): (GameView & { downloading: boolean })[] {
    const downloading = new Set(this.#p.downloads.games());
    return mergeGames(this.#p.library.games(), this.#p.peers.libraries())
      .map((g) => ({ ...g, downloading: downloading.has(g.id) }));
  }

  /** Connects to `addr` now and keeps it connected from then on. */
  async connect(addr: string, signal?: AbortSignal): Promise<PeerView> {
    const target = parseAddr(addr);
    if (!target) throw new CommandError("bad-request", `not a host:port address: ${addr}`);
    try {
      const peer = await this.#p.peers.connect(target, signal);
      this.#p.dialer.keep(target, peer.peerId);
      return peer;
    } catch (error) {
      if (error instanceof ConnectError) throw new CommandError(error.code, error.message);
      throw error;
    }
  }

  /** Resolves once at least `count` peers are connected. */
  async waitPeers(count: number, timeoutMs: number, signal?: AbortSignal): Promise<PeerView[]> {
    const connected = () => this.#p.peers.list().filter((p) => p.state === "connected");
    if (connected().length >= count) return connected();
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      await abortable(
        this.#p.events.waitFor(() => connected().length >= count, { signal: both }),
        both,
      );
    } catch {
      if (signal?.aborted) throw new CommandError("shutting-down", "shutting down");
      throw new CommandError(
        "timeout",
        `${connected().length} of ${count} peers connected after ${timeoutMs} ms`,
      );
    }
    return connected();
  }

  async setGameDir(path: string): Promise<string> {
    await this.#p.library.setGamesDir(path);
    return this.#p.status().gamesDir;
  }

  /** Starts downloading `game` from every peer that offers its newest version. */
  download(game: string, options: { install: boolean }) {
    if (options.install) {
      throw new CommandError("unsupported", "installing after a download is not supported yet");
    }
    const started = this.#p.downloads.start(game, options);
    return { game, ...started };
  }

  /** Cancels a download; its partial files are removed, the old version stays. */
  async cancel(game: string): Promise<void> {
    await this.#p.downloads.cancel(game);
  }
}
