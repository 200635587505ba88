/**
 * What the library looks like from outside: the snapshot view offered to
 * peers (downloaded games as WireGame) and the local view (every game
 * folder), plus the delta between two snapshot views. Pure functions.
 *
 * @module
 */
import type { LibraryDelta, WireGame } from "../../wire/library_schemas.ts";
import { comparePaths } from "./paths.ts";
import type { ScannedGame } from "./scan.ts";

/** One game folder as the local user sees it (web page, harness). */
export interface LocalGame {
  id: string;
  name: string;
  /** Null: no valid version.ini. */
  version: string | null;
  size: number;
  files: number;
  downloaded: boolean;
  installed: boolean;
  /** The installed version (install record), or null. */
  installedVersion: string | null;
  manifestHash?: string;
  hashing: boolean;
  description?: string;
  genre?: string;
  players?: string;
  cover?: string;
}

/** A game's state as the view functions need it. */
export interface GameView {
  scan: ScannedGame;
  manifestHash?: string;
  /** Set when the game cannot be served (hashing failed); it is then not offered. */
  failed?: string;
  hashing: boolean;
  /** From the install record, while `local/` exists. */
  installedVersion?: string;
}

/** Whether a game is offered to peers. */
export function isOffered(game: GameView): boolean {
  return game.scan.version !== null && game.scan.error === undefined && game.failed === undefined;
}

/** The WireGame of an offered game, keys in a fixed order so that JSON comparison is exact. */
export function toWireGame(game: GameView): WireGame {
  const { scan } = game;
  const wire: WireGame = {
    id: scan.id,
    name: scan.meta.name ?? scan.id,
    version: scan.version!,
    size: scan.size,
    files: scan.files.length,
  };
  if (game.manifestHash !== undefined) wire.manifestHash = game.manifestHash;
  if (scan.meta.description !== undefined) wire.description = scan.meta.description;
  if (scan.meta.genre !== undefined) wire.genre = scan.meta.genre;
  if (scan.meta.players !== undefined) wire.players = scan.meta.players;
  if (scan.meta.cover !== undefined) wire.cover = scan.meta.cover;
  if (game.installedVersion !== undefined) wire.installedVersion = game.installedVersion;
  return wire;
}

export function toLocalGame(game: GameView): LocalGame {
  const { scan } = game;
  const local: LocalGame = {
    id: scan.id,
    name: scan.meta.name ?? scan.id,
    version: scan.version,
    size: scan.size,
    files: scan.files.length,
    downloaded: scan.version !== null,
    installed: scan.installed,
    installedVersion: game.installedVersion ?? null,
    hashing: game.hashing,
  };
  if (game.manifestHash !== undefined) local.manifestHash = game.manifestHash;
  return { ...local, ...scan.meta };
}

/** The snapshot view: offered games by id. */
export function snapshotView(games: Iterable<GameView>): Map<string, WireGame> {
  const view = new Map<string, WireGame>();
  for (const game of games) if (isOffered(game)) view.set(game.scan.id, toWireGame(game));
  return view;
}

/** Games of a view sorted by id. */
export function sortedGames(view: ReadonlyMap<string, WireGame>): WireGame[] {
  return [...view.values()].sort((a, b) => comparePaths(a.id, b.id));
}

const WIRE_KEYS = [
  "id",
  "name",
  "version",
  "size",
  "files",
  "manifestHash",
  "description",
  "genre",
  "players",
  "cover",
  "installedVersion",
] as const satisfies readonly (keyof WireGame)[];
// Fails to compile when WireGame gains a field that WIRE_KEYS does not list.
const _allKeysCompared: [Exclude<keyof WireGame, typeof WIRE_KEYS[number]>] extends [never] ? true
  : false = true;

/** Field by field, so that key order (e.g. of a snapshot read back from disk) does not matter. */
export function sameWireGame(a: WireGame, b: WireGame): boolean {
  return WIRE_KEYS.every((key) => a[key] === b[key]);
}

/** What changed from `before` to `after`, each list sorted by id; null when nothing did. */
export function diffViews(
  before: ReadonlyMap<string, WireGame>,
  after: ReadonlyMap<string, WireGame>,
): Omit<LibraryDelta, "fromRev" | "toRev"> | null {
  const added: WireGame[] = [];
  const updated: WireGame[] = [];
  const removed: string[] = [];
  for (const [id, game] of after) {
    const old = before.get(id);
    if (!old) added.push(game);
    else if (!sameWireGame(old, game)) updated.push(game);
  }
  for (const id of before.keys()) if (!after.has(id)) removed.push(id);
  if (added.length + updated.length + removed.length === 0) return null;
  const byId = (a: WireGame, b: WireGame) => comparePaths(a.id, b.id);
  return {
    added: added.sort(byId),
    updated: updated.sort(byId),
    removed: removed.sort(comparePaths),
  };
}
