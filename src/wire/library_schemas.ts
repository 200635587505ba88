/**
 * The library-sync sub-protocol's shapes: a game as offered to peers, a
 * snapshot, a page of one (hello, hello-ack, get-library) and a delta
 * (library-delta). Apart from the download and hello shapes because only
 * library sync (src/peer/sync) and the library itself read them.
 *
 * @module
 */
import { z } from "zod";
import {
  Count,
  describeIssues,
  DisplayName,
  FreeText,
  GameId,
  LIMITS,
  lineText,
  Sha256Hex,
  Version,
} from "./protocol.ts";

/** One game as offered to peers (domain: `library`). */
export const WireGame = z.object({
  id: GameId,
  name: DisplayName,
  version: Version,
  size: Count,
  files: Count,
  /** Present once every block is hashed; absent while hashing. */
  manifestHash: Sha256Hex.optional(),
  description: FreeText.optional(),
  genre: lineText(LIMITS.maxNameLength).optional(),
  players: lineText(LIMITS.maxNameLength).optional(),
  /** Relative path of a cover image among the shared files. */
  cover: lineText(LIMITS.maxPathLength).optional(),
  /** The version the offering peer has installed, when it has. */
  installedVersion: Version.optional(),
});
export type WireGame = z.infer<typeof WireGame>;

export const LibrarySnapshot = z.object({
  rev: Count,
  games: z.array(WireGame).max(LIMITS.maxGames),
});
export type LibrarySnapshot = z.infer<typeof LibrarySnapshot>;

/**
 * One page of a library snapshot: `games` are the snapshot's games from
 * `offset` on (sorted by id), as many as fit in LIMITS.maxPageBytes; `total`
 * counts the whole snapshot. Each game is checked on its own
 * ({@linkcode validGames}): one a peer's rules refuse is skipped, not the page.
 */
export const LibraryPage = z.object({
  rev: Count,
  total: Count,
  offset: Count,
  games: z.array(z.unknown()).max(LIMITS.maxGames),
});
export type LibraryPage = Omit<z.infer<typeof LibraryPage>, "games"> & { games: WireGame[] };
/** A page as received, its games not yet checked. */
export type RawLibraryPage = z.infer<typeof LibraryPage>;

/** The games of a received page that pass the schema, and why the first refused one failed. */
export function validGames(raw: readonly unknown[]): { games: WireGame[]; refused: string[] } {
  const games: WireGame[] = [];
  const refused: string[] = [];
  for (const [i, item] of raw.entries()) {
    const parsed = WireGame.safeParse(item);
    if (parsed.success) games.push(parsed.data);
    else refused.push(`game ${i}: ${describeIssues(parsed.error)}`);
  }
  return { games, refused };
}

export const LibraryDelta = z.object({
  fromRev: Count,
  toRev: Count,
  added: z.array(WireGame).max(LIMITS.maxGames),
  updated: z.array(WireGame).max(LIMITS.maxGames),
  removed: z.array(GameId).max(LIMITS.maxGames),
});
export type LibraryDelta = z.infer<typeof LibraryDelta>;
