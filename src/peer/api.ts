/**
 * What a user can ask of a peer: the operations behind the JSONL harness
 * (and the HTTP API to come). Each either returns data or throws a
 * {@linkcode CommandError} with a code the caller can act on.
 *
 * @module
 */
import { abortable } from "./async.ts";
import { CommandError } from "./errors.ts";
import { type GameView, mergeGames } from "./games_view.ts";
import type { Runtime } from "./runtime.ts";
import { ConnectError } from "./sync/manager.ts";
import { formatAddr, parseAddr, type PeerView } from "./sync/peer_table.ts";

export class PeerApi {
  readonly runtime: Runtime;

  constructor(runtime: Runtime) {
    this.runtime = runtime;
  }

  status() {
    return this.runtime.status();
  }

  /** Peers we hold, plus those mDNS announced that we have not reached (yet). */
  listPeers(): PeerView[] {
    const held = this.runtime.manager.peers();
    const known = new Set(held.map((p) => p.peerId));
    const failures = new Map(this.runtime.dialer.discovered().map((t) => [t.peerId, t.failures]));
    const heard: PeerView[] = (this.runtime.discovery?.peers() ?? [])
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
    const peers = this.runtime.manager.connected().map((r) => ({
      peerId: r.peerId,
      games: r.library.games,
    }));
    const downloading = new Set(this.runtime.downloads.games());
    return mergeGames(this.runtime.library.games(), peers)
      .map((g) => ({ ...g, downloading: downloading.has(g.id) }));
  }

  /** Connects to `addr` now and keeps it connected from then on. */
  async connect(addr: string, signal?: AbortSignal): Promise<PeerView> {
    const target = parseAddr(addr);
    if (!target) throw new CommandError("bad-request", `not a host:port address: ${addr}`);
    try {
      const peer = await this.runtime.manager.connect(target, null, signal);
      this.runtime.dialer.add(target, peer.peerId);
      return peer;
    } catch (error) {
      if (error instanceof ConnectError) throw new CommandError(error.code, error.message);
      throw error;
    }
  }

  /** Resolves once at least `count` peers are connected. */
  async waitPeers(count: number, timeoutMs: number, signal?: AbortSignal): Promise<PeerView[]> {
    const connected = () => this.runtime.manager.peers().filter((p) => p.state === "connected");
    if (connected().length >= count) return connected();
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      await abortable(
        this.runtime.events.waitFor(() => connected().length >= count, { signal: both }),
        both,
      );
    } catch {
      if (signal?.aborted) throw new CommandError("internal", "shutting down");
      throw new CommandError(
        "timeout",
        `${connected().length} of ${count} peers connected after ${timeoutMs} ms`,
      );
    }
    return connected();
  }

  async setGameDir(path: string): Promise<void> {
    await this.runtime.library.setGamesDir(path);
  }

  /** Starts downloading `game` from every peer that offers its newest version. */
  download(game: string, options: { install: boolean }) {
    if (options.install) {
      throw new CommandError("unsupported", "installing after a download is not supported yet");
    }
    const started = this.runtime.downloads.start(game, options);
    return { game, ...started };
  }

  /** Cancels a download; its partial files are removed, the old version stays. */
  async cancel(game: string): Promise<void> {
    await this.runtime.downloads.cancel(game);
  }
}
