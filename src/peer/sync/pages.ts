/**
 * Library pages (wire/library_schemas.ts, `LibraryPage`): a snapshot travels
 * as pages of at most LIMITS.maxPageBytes of games, so that a library of any
 * size within the limits fits in frames; and the gathering of received
 * pages back into a snapshot. Pure functions and one small collector.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";
import {
  type LibraryDelta,
  type LibraryPage,
  type LibrarySnapshot,
  type RawLibraryPage,
  validGames,
  type WireGame,
} from "../../wire/library_schemas.ts";
import { comparePaths } from "../library/mod.ts";

const encoder = new TextEncoder();
/** Encoded sizes, computed once per game object (snapshots share their games). */
const sizes = new WeakMap<WireGame, number>();

/** Bytes of `game` as JSON in a frame (UTF-8). */
export function gameBytes(game: WireGame): number {
  let size = sizes.get(game);
  if (size === undefined) {
    size = encoder.encode(JSON.stringify(game)).length;
    sizes.set(game, size);
  }
  return size;
}

/** Page of `snapshot` from `offset`: as many games as fit in `maxBytes`, at least one. */
export function pageOf(
  snapshot: LibrarySnapshot,
  offset: number,
  maxBytes: number = LIMITS.maxPageBytes,
): LibraryPage {
  const games: WireGame[] = [];
  let bytes = 0;
  for (let i = offset; i < snapshot.games.length; i++) {
    const game = snapshot.games[i]!;
    const size = gameBytes(game) + 1; // and a comma
    if (games.length > 0 && bytes + size > maxBytes) break;
    games.push(game);
    bytes += size;
  }
  return { rev: snapshot.rev, total: snapshot.games.length, offset, games };
}

/** An upper bound of the bytes of `delta` as JSON, without encoding it. */
export function deltaBytes(delta: LibraryDelta): number {
  let bytes = 200;
  for (const game of [...delta.added, ...delta.updated]) bytes += gameBytes(game) + 1;
  for (const id of delta.removed) bytes += id.length + 3;
  return bytes;
}

/** A snapshot gathered from pages, and what of the peer's library it leaves out. */
export interface Gathered {
  library: LibrarySnapshot;
  /** What did not fit or was refused, for the log and the peer list; null when nothing. */
  note: string | null;
}

/**
 * Gathers the pages of one snapshot (one revision) in order. Games the
 * schema refuses are skipped (counted in the note); past `maxGames` the rest
 * is not fetched.
 */
export class PageCollector {
  readonly rev: number;
  readonly total: number;
  /** Offset of the next page to ask for. */
  next = 0;
  #maxGames: number;
  #games = new Map<string, WireGame>();
  #refused: string[] = [];
  #refusedCount = 0;
  #short = false;

  constructor(first: RawLibraryPage, maxGames: number = LIMITS.maxGames) {
    this.rev = first.rev;
    this.total = first.total;
    this.#maxGames = maxGames;
    this.add(first);
  }

  /** Whether every game we keep has arrived. */
  get complete(): boolean {
    return this.#short || this.next >= Math.min(this.total, this.#maxGames);
  }

  /** Adds the page at `next`; false (nothing added) when it is not that page. */
  add(page: RawLibraryPage): boolean {
    if (page.rev !== this.rev || page.offset !== this.next) return false;
    // An empty page before the end: the peer has nothing more to give.
    if (page.games.length === 0) this.#short = true;
    const { games, refused } = validGames(page.games);
    for (const game of games) this.#games.set(game.id, game);
    this.#refused.push(...refused.slice(0, 3));
    this.#refusedCount += refused.length;
    this.next += page.games.length;
    return true;
  }

  result(): Gathered {
    const games = [...this.#games.values()].sort((a, b) => comparePaths(a.id, b.id))
      .slice(0, this.#maxGames);
    const notes: string[] = [];
    if (this.total > this.#maxGames) {
      notes.push(`offers ${this.total} games; only the first ${this.#maxGames} are kept`);
    } else if (this.#short) {
      notes.push(`said it offers ${this.total} games but sent ${this.next}`);
    }
    if (this.#refusedCount > 0) {
      notes.push(`${this.#refusedCount} games refused (${this.#refused[0]})`);
    }
    return { library: { rev: this.rev, games }, note: notes.length ? notes.join("; ") : null };
  }
}
