import { assertEquals } from "../../../tests/assert.ts";
import type { GameRow } from "../../peer/views.ts";
import {
  gameState,
  hasUpdate,
  matchesFilter,
  matchesSearch,
  primaryAction,
  sortGames,
} from "./state.ts";

function row(over: Partial<GameRow> = {}): GameRow {
  return {
    id: "doom",
    name: "Doom",
    version: null,
    installedVersion: null,
    size: 10,
    downloaded: false,
    installed: false,
    peerCount: 1,
    installedCount: 0,
    latestVersion: "1",
    sources: ["a"],
    downloading: false,
    operation: null,
    ...over,
  };
}

Deno.test("a game's state reads Installed, Downloaded, Downloading, Installing, Available or Unavailable", () => {
  assertEquals(gameState(row()), "Available");
  assertEquals(gameState(row({ peerCount: 0, sources: [] })), "Unavailable");
  assertEquals(gameState(row({ downloaded: true, version: "1" })), "Downloaded");
  assertEquals(gameState(row({ downloaded: true, installed: true })), "Installed");
  assertEquals(gameState(row({ operation: "download", downloading: true })), "Downloading");
  assertEquals(gameState(row({ operation: "install" })), "Installing");
  assertEquals(gameState(row({ operation: "update", installed: true })), "Installing");
});

Deno.test("one primary action: Download, Update, Install, Play, Cancel while busy, none when unavailable", () => {
  const label = (g: GameRow) => primaryAction(g)?.label ?? null;
  assertEquals(primaryAction(row())?.body, { install: true }, "Download downloads and installs");
  assertEquals(label(row()), "Download");
  assertEquals(label(row({ peerCount: 0, sources: [] })), null);
  assertEquals(label(row({ downloaded: true, version: "1" })), "Install");
  assertEquals(label(row({ downloaded: true, version: "1", latestVersion: "2" })), "Update");
  assertEquals(
    label(row({ downloaded: true, installed: true, version: "1", playable: true })),
    "Play",
  );
  assertEquals(label(row({ downloaded: true, installed: true, version: "1" })), null);
  assertEquals(label(row({ operation: "download" })), "Cancel");
  assertEquals(label(row({ operation: "install" })), null);
});

Deno.test("an update needs a newer version from a connected source", () => {
  assertEquals(hasUpdate(row({ downloaded: true, version: "1", latestVersion: "2" })), true);
  assertEquals(hasUpdate(row({ downloaded: true, version: "2", latestVersion: "2" })), false);
  assertEquals(
    hasUpdate(row({ downloaded: true, version: "1", latestVersion: "2", sources: [] })),
    false,
  );
});

Deno.test("filters, search and sort", () => {
  const games = [
    row({ id: "b", name: "Beta", size: 5, genre: "Racing" }),
    row({ id: "a", name: "alpha", size: 50, downloaded: true, version: "1" }),
    row({ id: "c", name: "Gamma", size: 1, downloaded: true, installed: true, version: "1" }),
  ];
  assertEquals(games.filter((g) => matchesFilter(g, "available")).map((g) => g.id), ["b"]);
  assertEquals(games.filter((g) => matchesFilter(g, "downloaded")).map((g) => g.id), ["a", "c"]);
  assertEquals(games.filter((g) => matchesFilter(g, "installed")).map((g) => g.id), ["c"]);
  assertEquals(games.filter((g) => matchesSearch(g, "RAC")).map((g) => g.id), ["b"]);
  assertEquals(games.filter((g) => matchesSearch(g, "a m")).map((g) => g.id), ["c"]);
  assertEquals(sortGames(games, "name").map((g) => g.id), ["a", "b", "c"]);
  assertEquals(sortGames(games, "size").map((g) => g.id), ["a", "b", "c"]);
  assertEquals(sortGames(games, "state").map((g) => g.id), ["c", "a", "b"]);
});
