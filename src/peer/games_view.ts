/**
 * The merged game list users see: every game we have locally or any
 * connected peer offers, with who offers it and the newest version around.
 * Pure: takes the local list and the peers' libraries, returns rows.
 *
 * @module
 */
import type { WireGame } from "../wire/protocol.ts";
import type { LocalGame } from "./library/mod.ts";
import { compareVersions } from "./library/version.ts";

/** One row of `list-games`. */
export interface GameView {
  id: string;
  name: string;
  /** Our version, or null when we do not have it downloaded. */
  version: string | null;
  /** Our size when downloaded, else the size of the newest version offered. */
  size: number;
  downloaded: boolean;
  installed: boolean;
  /** Connected peers offering the game, any version. */
  peerCount: number;
  /** Newest version among ours and the peers'. */
  latestVersion: string | null;
  /** Peers offering `latestVersion`: the download sources. */
  sources: string[];
  description?: string;
  genre?: string;
  players?: string;
}

/** A peer's library as the view needs it. */
export interface PeerGames {
  peerId: string;
  games: WireGame[];
}

function newer(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** Merges local games and peers' offers into rows sorted by id. */
export function mergeGames(local: LocalGame[], peers: PeerGames[]): GameView[] {
  const offers = new Map<string, { peerId: string; game: WireGame }[]>();
  for (const peer of peers) {
    for (const game of peer.games) {
      const list = offers.get(game.id) ?? [];
      list.push({ peerId: peer.peerId, game });
      offers.set(game.id, list);
    }
  }
  const mine = new Map(local.map((g) => [g.id, g]));
  const ids = [...new Set([...mine.keys(), ...offers.keys()])].sort();
  return ids.map((id) => {
    const own = mine.get(id);
    const offered = offers.get(id) ?? [];
    const ownVersion = own?.downloaded ? own.version : null;
    const latest = offered.reduce<string | null>((v, o) => newer(v, o.game.version), ownVersion);
    const best = offered.filter((o) => latest !== null && o.game.version === latest);
    const shown = own ?? best[0]?.game ?? offered[0]!.game;
    return {
      id,
      name: shown.name,
      version: ownVersion,
      size: own?.downloaded ? own.size : best[0]?.game.size ?? own?.size ?? 0,
      downloaded: own?.downloaded ?? false,
      installed: own?.installed ?? false,
      peerCount: offered.length,
      latestVersion: latest,
      sources: best.map((o) => o.peerId).sort(),
      ...(shown.description ? { description: shown.description } : {}),
      ...(shown.genre ? { genre: shown.genre } : {}),
      ...(shown.players ? { players: shown.players } : {}),
    };
  });
}
