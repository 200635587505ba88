/**
 * What the page says about a game: its state word, its one primary action,
 * and which filter, search and sort show it. Pure functions of the API's
 * rows, so the library, the detail page and the party board agree.
 *
 * @module
 */
import type { GameRow } from "../../peer/views.ts";

/** The state a game reads as (README "The web page"). */
export type GameState =
  | "Installed"
  | "Downloaded"
  | "Downloading"
  | "Installing"
  | "Uninstalling"
  | "Removing"
  | "Available"
  | "Unavailable";

export function gameState(g: GameRow): GameState {
  switch (g.operation) {
    case "download":
      return "Downloading";
    case "install":
    case "update":
      return "Installing";
    case "uninstall":
      return "Uninstalling";
    case "remove":
      return "Removing";
  }
  if (g.installed) return "Installed";
  if (g.downloaded) return "Downloaded";
  return g.peerCount > 0 ? "Available" : "Unavailable";
}

/** A newer version than ours is offered by a connected peer. */
export function hasUpdate(g: GameRow): boolean {
  return g.downloaded && g.latestVersion !== null && g.latestVersion !== g.version &&
    g.sources.length > 0;
}

/** What a button asks the API for; each has a route `POST games/:id/<verb>` but update (a download). */
export type Verb = "download" | "update" | "cancel" | "install" | "uninstall" | "remove" | "play";

/** The one button a card shows; `null` when there is nothing to do. */
export interface Action {
  verb: Verb;
  /** Its accessible name: the verb as the page writes it ("Download", "Remove files"). */
  label: string;
  /** Body of the POST. */
  body: Record<string, boolean>;
}

/** What the peer can do, for the choice of actions. */
export interface Abilities {
  /** Downloads can install right after (`download {install: true}`). */
  install: boolean;
}

export function primaryAction(g: GameRow, can: Abilities = { install: true }): Action | null {
  if (g.operation === "download") return { verb: "cancel", label: "Cancel", body: {} };
  if (g.operation !== null) return null;
  if (hasUpdate(g)) return { verb: "update", label: "Update", body: { install: g.installed } };
  if (g.installed) {
    return g.playable ? { verb: "play", label: "Play", body: { server: false } } : null;
  }
  if (g.downloaded) return { verb: "install", label: "Install", body: {} };
  if (g.sources.length > 0) {
    return { verb: "download", label: "Download", body: { install: can.install } };
  }
  return null;
}

export const FILTERS = ["all", "installed", "downloaded", "available", "updates"] as const;
export type Filter = typeof FILTERS[number];
export const FILTER_LABELS: Record<Filter, string> = {
  all: "All",
  installed: "Installed",
  downloaded: "Downloaded",
  available: "Available",
  updates: "Updates",
};

export function matchesFilter(g: GameRow, filter: Filter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "installed":
      return g.installed;
    case "downloaded":
      return g.downloaded;
    case "available":
      return !g.downloaded && g.peerCount > 0;
    case "updates":
      return hasUpdate(g);
  }
}

export const SORTS = ["name", "size", "state"] as const;
export type Sort = typeof SORTS[number];

/** Busy first, then what one can play, then what one can get. */
const STATE_ORDER: Record<GameState, number> = {
  Downloading: 0,
  Installing: 0,
  Uninstalling: 0,
  Removing: 0,
  Installed: 1,
  Downloaded: 2,
  Available: 3,
  Unavailable: 4,
};

const byName = (a: GameRow, b: GameRow) =>
  a.name.localeCompare(b.name, undefined, { sensitivity: "base", numeric: true }) ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function sortGames(games: GameRow[], sort: Sort): GameRow[] {
  const out = [...games];
  if (sort === "size") out.sort((a, b) => b.size - a.size || byName(a, b));
  else if (sort === "state") {
    out.sort((a, b) => STATE_ORDER[gameState(a)] - STATE_ORDER[gameState(b)] || byName(a, b));
  } else out.sort(byName);
  return out;
}

/** Case-insensitive match of every word of `query` in name, id or genre. */
export function matchesSearch(g: GameRow, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = `${g.name} ${g.id} ${g.genre ?? ""}`.toLowerCase();
  return words.every((w) => text.includes(w));
}
