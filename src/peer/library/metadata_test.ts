import { join } from "node:path";
import { assert, assertEquals, tempDir, writeFiles } from "./_test_util.ts";
import { scanGame } from "./scan.ts";

async function metaOf(gameJson: string, extra: Record<string, string> = {}) {
  await using games = await tempDir();
  await writeFiles(games.path, { "g/version.ini": "1", "g/game.json": gameJson, ...extra });
  const game = await scanGame(games.path, "g");
  return { meta: game!.meta, warnings: game!.warnings, version: game!.version };
}

Deno.test("game.json fields are read, trimmed, and players may be a number", async () => {
  const { meta, warnings } = await metaOf(
    JSON.stringify({
      name: " Quake III Arena ",
      description: "Frag.",
      genre: "FPS",
      players: 16,
      cover: "art/cover.png",
      unknown: "ignored silently",
    }),
    { "g/art/cover.png": "png" },
  );
  assertEquals(meta, {
    name: "Quake III Arena",
    description: "Frag.",
    genre: "FPS",
    players: "16",
    cover: "art/cover.png",
  });
  assertEquals(warnings, []);
});

Deno.test("a game.json that is not a JSON object is ignored with a warning, the game stays", async () => {
  for (const text of ["{broken", "[1,2]", '"text"', "null"]) {
    const { meta, warnings, version } = await metaOf(text);
    assertEquals(meta, {}, text);
    assertEquals(version, "1", text);
    assert(warnings.some((w) => w.startsWith("game.json ignored")), text);
  }
});

Deno.test("each bad game.json field is dropped on its own with a warning", async () => {
  const fields = JSON.stringify({
    name: "x".repeat(500),
    description: 42,
    genre: "",
    players: { min: 1 },
    cover: "../../etc/passwd",
  });
  // A "__proto__" key must not smuggle a name in through the prototype.
  const text = fields.replace("{", '{"__proto__":{"name":"polluted"},');
  const { meta, warnings } = await metaOf(text);
  assertEquals(meta, {});
  assertEquals(warnings.filter((w) => w.startsWith("game.json: field")).length, 5);
});

Deno.test("a cover that is not one of the shared files is dropped", async () => {
  const { meta, warnings } = await metaOf(JSON.stringify({ name: "G", cover: "missing.png" }), {
    "g/local/cover.png": "installed, not shared",
  });
  assertEquals(meta, { name: "G" });
  assert(warnings.some((w) => w.includes("missing.png")));
  const local = await metaOf(JSON.stringify({ cover: "local/cover.png" }), {
    "g/local/cover.png": "x",
  });
  assertEquals(local.meta, {});
});

Deno.test("a null field counts as absent, without a warning", async () => {
  const { meta, warnings } = await metaOf(JSON.stringify({ name: "G", genre: null }));
  assertEquals(meta, { name: "G" });
  assertEquals(warnings, []);
});

Deno.test("hostile game.json text (escapes, newlines, bidi overrides) is dropped with a warning", async () => {
  const { meta, warnings } = await metaOf(JSON.stringify({
    name: "Quake\x1b]0;pwned\x07",
    genre: "FPS\nINFO forged line",
    players: "2\u202e8",
    description: "Two lines\nand\ta tab are fine.",
  }));
  assertEquals(meta, { description: "Two lines\nand\ta tab are fine." });
  assertEquals(warnings.filter((w) => w.startsWith("game.json: field")).length, 3);
  const escape = await metaOf(JSON.stringify({ name: "G", description: "clear \x1b[2J" }));
  assertEquals(escape.meta, { name: "G" });
  const lone = await metaOf('{"name": "half \\ud800 pair"}');
  assertEquals(lone.meta, {});
});

Deno.test("a version.ini with control characters or bidi overrides is not offered", async () => {
  for (const version of ["1.0\x1b[2J", "1.0\u202e", "1.0\r\n2.0"]) {
    const { version: read, warnings } = await metaOf("{}", { "g/version.ini": version });
    assertEquals(read, null, JSON.stringify(version));
    assert(warnings.some((w) => w.startsWith("version.ini invalid")), JSON.stringify(version));
  }
});

Deno.test("a huge game.json or version.ini is refused by its size, without being read", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, { "g/version.ini": "1", "g/game.json": "{}" });
  // Sparse files of 4 GiB: reading either whole would take seconds and gigabytes.
  for (const name of ["game.json", "version.ini"]) {
    await Deno.truncate(join(games.path, "g", name), 4 * 1024 ** 3);
  }
  const started = performance.now();
  const game = await scanGame(games.path, "g");
  const ms = performance.now() - started;
  assertEquals(game!.version, null);
  assertEquals(game!.warnings, [
    "version.ini ignored: larger than 4096 bytes",
    "game.json ignored: larger than 1048576 bytes",
  ]);
  assert(ms < 1_000, `took ${ms.toFixed(0)} ms`);
});
