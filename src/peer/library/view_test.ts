import { join } from "node:path";
import { assertEquals } from "./_test_util.ts";
import type { ScannedGame } from "./scan.ts";
import { diffViews, snapshotView, toLocalGame } from "./view.ts";
import { classifyPath } from "./watcher.ts";
import type { WireGame } from "../../wire/library_schemas.ts";

function scanned(id: string, overrides: Partial<ScannedGame> = {}): ScannedGame {
  return {
    id,
    dir: `/games/${id}`,
    realDir: `/games/${id}`,
    version: "1",
    installed: false,
    files: [{ path: "version.ini", size: 1, mtimeMs: 0, ctimeMs: 0, ino: 1, dev: 1 }],
    size: 1,
    meta: {},
    warnings: [],
    ...overrides,
  };
}

Deno.test("the snapshot view offers downloaded, readable, servable games only", () => {
  const view = snapshotView([
    { scan: scanned("ok"), hashing: true },
    {
      scan: scanned("hashed", { meta: { name: "Hashed", genre: "RTS" } }),
      manifestHash: "f".repeat(64),
      hashing: false,
    },
    { scan: scanned("nover", { version: null }), hashing: false },
    { scan: scanned("broken", { error: "cannot read" }), hashing: false },
    { scan: scanned("failed"), failed: "cannot hash", hashing: false },
  ]);
  assertEquals([...view.keys()], ["ok", "hashed"]);
  assertEquals(view.get("ok"), { id: "ok", name: "ok", version: "1", size: 1, files: 1 });
  assertEquals(view.get("hashed"), {
    id: "hashed",
    name: "Hashed",
    version: "1",
    size: 1,
    files: 1,
    manifestHash: "f".repeat(64),
    genre: "RTS",
  });
});

Deno.test("a local game reports downloaded, installed and hashing", () => {
  const local = toLocalGame({
    scan: scanned("g", { version: null, installed: true, meta: { players: "2-4" } }),
    hashing: false,
  });
  assertEquals(local, {
    id: "g",
    name: "g",
    version: null,
    size: 1,
    files: 1,
    downloaded: false,
    installed: true,
    installedVersion: null,
    hashing: false,
    players: "2-4",
  });
});

Deno.test("diffViews lists added, updated and removed games sorted, and null for no change", () => {
  const game = (id: string, extra: Partial<WireGame> = {}): WireGame => ({
    id,
    name: id,
    version: "1",
    size: 1,
    files: 1,
    ...extra,
  });
  const before = new Map([["a", game("a")], ["b", game("b")], ["c", game("c")]]);
  const after = new Map([
    ["e", game("e")],
    ["d", game("d")],
    ["b", game("b", { manifestHash: "0".repeat(64) })],
    ["c", { files: 1, size: 1, version: "1", name: "c", id: "c" }], // same, other key order
  ]);
  assertEquals(diffViews(before, after), {
    added: [game("d"), game("e")],
    updated: [game("b", { manifestHash: "0".repeat(64) })],
    removed: ["a"],
  });
  assertEquals(diffViews(after, after), null);
});

Deno.test("watch events map to the game they concern; local/ and .lanspread* contents do not count", () => {
  const root = join("/", "games");
  const at = (...segments: string[]) => classifyPath(root, join(root, ...segments));
  assertEquals(at("quake"), "quake");
  assertEquals(at("quake", "version.ini"), "quake");
  assertEquals(at("quake", "data", "x.pak"), "quake");
  assertEquals(at("quake", "local"), "quake"); // installed or not
  assertEquals(at("quake", "local", "save.dat"), null);
  assertEquals(at("quake", ".lanspread-staging", "part"), null);
  assertEquals(at("quake", "data", ".lanspread-part"), null);
  assertEquals(at("bad name", "x"), null);
  assertEquals(at(".lanspread-tmp"), null);
  assertEquals(classifyPath(root, root), "all");
  assertEquals(classifyPath(root, join("/", "elsewhere", "x")), "all");
});
