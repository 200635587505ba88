/**
 * Library deltas (README "How peers talk"): pure functions on snapshots. A sender diffs the
 * snapshot its peer last received against the current one, so any number of
 * quick changes coalesce into one delta; a receiver applies a delta only on a
 * matching from-rev and otherwise asks for a fresh snapshot.
 *
 * @module
 */
import type { LibraryDelta, LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { diffViews } from "../library/view.ts";

const byId = (games: WireGame[]) => new Map(games.map((g) => [g.id, g]));

/** The delta that turns `from` into `to`. */
export function diffSnapshots(from: LibrarySnapshot, to: LibrarySnapshot): LibraryDelta {
  const changes = diffViews(byId(from.games), byId(to.games));
  return { fromRev: from.rev, toRev: to.rev, added: [], updated: [], removed: [], ...changes };
}

/** True when the delta changes nothing. */
export function isEmptyDelta(delta: LibraryDelta): boolean {
  return !delta.added.length && !delta.updated.length && !delta.removed.length;
}

export type ApplyResult =
  | { kind: "applied"; library: LibrarySnapshot }
  /** Already have this revision or a newer one. */
  | { kind: "stale" }
  /** A revision is missing in between: fetch a fresh snapshot. */
  | { kind: "gap" };

/** Applies `delta` to `current` if it starts where `current` is. */
export function applyDelta(current: LibrarySnapshot, delta: LibraryDelta): ApplyResult {
  if (delta.toRev <= current.rev) return { kind: "stale" };
  if (delta.fromRev !== current.rev) return { kind: "gap" };
  const games = new Map(current.games.map((g) => [g.id, g]));
  for (const id of delta.removed) games.delete(id);
  for (const game of [...delta.added, ...delta.updated]) games.set(game.id, game);
  const sorted = [...games.values()].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { kind: "applied", library: { rev: delta.toRev, games: sorted } };
}
