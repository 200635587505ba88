/**
 * The merged game list users see: every game we have locally or any
 * connected peer offers, with who offers it, at which version, who has it
 * installed, and what we are doing with it. Pure: takes the local list, the
 * peers' libraries and the running operations, returns rows.
 *
 * @module
 */
import type { WireGame } from "../wire/library_schemas.ts";
import type { LocalGame } from "./library/mod.ts";
import { compareVersions } from "./library/version.ts";
import type { GameOffer, GameRow, Operation } from "./views.ts";

/** A peer's library as the rows need it. */
export interface PeerGames {
  peerId: string;
  name: string;
  games: WireGame[];
}

/** What merging needs besides the games. */
export interface MergeContext {
  /** The operation running on a game, if any. */
  operation(game: string): Operation | null;
}

function newer(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** An offer with the game as the peer described it. */
type Described = GameOffer & { game: WireGame };

/** Every peer's offer of each game, by game id. */
export function offersByGame(peers: PeerGames[]): Map<string, Described[]> {
  const offers = new Map<string, Described[]>();
  for (const peer of peers) {
    for (const game of peer.games) {
      const list = offers.get(game.id) ?? [];
      list.push({
        peerId: peer.peerId,
        name: peer.name,
        version: game.version,
        installedVersion: game.installedVersion ?? null,
        size: game.size,
        game,
      });
      offers.set(game.id, list);
    }
  }
  return offers;
}

/** Merges local games and peers' offers into rows sorted by id. */
export function mergeGames(
  local: LocalGame[],
  peers: PeerGames[],
  context: MergeContext,
): GameRow[] {
  const offers = offersByGame(peers);
  const mine = new Map(local.map((g) => [g.id, g]));
  const ids = [...new Set([...mine.keys(), ...offers.keys()])].sort();
  return ids.map((id) => {
    const own = mine.get(id);
    const offered = offers.get(id) ?? [];
    const ownVersion = own?.downloaded ? own.version : null;
    const latest = offered.reduce<string | null>((v, o) => newer(v, o.version), ownVersion);
    const best = offered.filter((o) => latest !== null && o.version === latest);
    const shown: Pick<WireGame, "name" | "description" | "genre" | "players" | "cover"> = own ??
      best[0]?.game ?? offered[0]!.game;
    const operation = context.operation(id);
    return {
      id,
      name: shown.name,
      version: ownVersion,
      installedVersion: own?.installedVersion ?? null,
      size: own?.downloaded ? own.size : best[0]?.size ?? own?.size ?? 0,
      downloaded: own?.downloaded ?? false,
      installed: own?.installed ?? false,
      peerCount: offered.length,
      installedCount: offered.filter((o) => o.installedVersion !== null).length,
      latestVersion: latest,
      sources: best.map((o) => o.peerId).sort(),
      downloading: operation === "download",
      operation,
      ...(shown.description ? { description: shown.description } : {}),
      ...(shown.genre ? { genre: shown.genre } : {}),
      ...(shown.players ? { players: shown.players } : {}),
      ...(shown.cover ? { cover: shown.cover } : {}),
    };
  });
}
