import { join } from "node:path";
import { assertEquals, assertRejects } from "../../../tests/assert.ts";
import { CommandError } from "../../common/errors.ts";
import { EventLog } from "../../common/events.ts";
import { silentLogger } from "../../common/log.ts";
import { Operations } from "../../common/operations.ts";
import { Installs } from "./installs.ts";
import type { InstallsOptions } from "./types.ts";

async function setup() {
  const root = await Deno.makeTempDir({ prefix: "lanspread-installs-" });
  const games = join(root, "games");
  await Deno.mkdir(join(games, "Doom", "local"), { recursive: true });
  await Deno.writeTextFile(join(games, "Doom", "local", "start.sh"), "true\n");
  const events = new EventLog();
  const operations = new Operations(events);
  const installs = new Installs({
    gamesDir: () => games,
    stateDir: join(root, "state"),
    events,
    log: silentLogger,
    operations,
    downloadedVersion: (game) => game === "Doom" ? "1" : null,
    changed: () => Promise.resolve(),
    settings: () => ({ playerName: "Ann", language: "english" }),
  });
  await installs.load();
  return { root, games, events, operations, installs };
}

/**
 * A games folder with `Doom/a.zip` (v.txt = "1") and Installs over it; the
 * downloaded version is `game.version`, which a test raises with each new zip.
 */
async function zipGame(root: string, extra: Partial<InstallsOptions> = {}) {
  const { writeZip } = await import("../../../tests/fixtures/archives.ts");
  const games = join(root, "games");
  const dir = join(games, "Doom");
  await Deno.mkdir(dir, { recursive: true });
  const text = (s: string) => new TextEncoder().encode(s);
  const game = {
    dir,
    version: "1",
    /** Replaces the archive with one of `files` (name → text). */
    ship: async (files: Record<string, string>) => {
      await Deno.remove(join(dir, "a.zip")).catch(() => {});
      writeZip(
        join(dir, "a.zip"),
        Object.entries(files).map(([name, t]) => ({ name, data: text(t) })),
      );
    },
  };
  await game.ship({ "v.txt": "1" });
  const installs = new Installs({
    gamesDir: () => games,
    stateDir: join(root, "state"),
    events: new EventLog(),
    log: silentLogger,
    operations: new Operations(),
    downloadedVersion: () => game.version,
    changed: () => Promise.resolve(),
    settings: () => ({ playerName: "Ann", language: "english" }),
    ...extra,
  });
  await installs.load();
  return { game, installs };
}

Deno.test("play is refused with busy while an operation runs on the game", async () => {
  const { root, operations, installs } = await setup();
  try {
    const claim = operations.claim("Doom", "update");
    const error = await assertRejects(() => installs.play("Doom", { server: false }), CommandError);
    assertEquals([error.code, error.message.includes("an update")], ["busy", true]);
    claim.release();
    const server = await assertRejects(() => installs.play("Doom", { server: true }), CommandError);
    assertEquals(server.code, "not-found");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a refused install answers its error and emits no install event", async () => {
  const { root, events, installs } = await setup();
  try {
    const error = await assertRejects(() => installs.install("Quake"), CommandError);
    assertEquals(error.code, "not-downloaded");
    const noArchives = await assertRejects(() => installs.install("Doom"), CommandError);
    assertEquals(noArchives.code, "bad-request");
    const names = events.since(0).map((e) => e.event);
    assertEquals(names.filter((n) => n.startsWith("install")), []);
    // Quake: claimed, released; Doom: claimed, switched to update (local/ exists), released.
    assertEquals(names.filter((n) => n === "operation-changed").length, 5);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a step refused after the extraction puts the old version back, or finishes the new", async () => {
  const { readRecords } = await import("./records.ts");
  const cases: [string, string][] = [["extracted", "1"], ["backed-up", "1"], ["promoted", "2"]];
  for (const [point, ends] of cases) {
    const root = await Deno.makeTempDir({ prefix: "lanspread-installs-" });
    try {
      let fail = "";
      const { game, installs } = await zipGame(root, {
        checkpoint: (p) => {
          if (p === fail) throw new Deno.errors.Busy(`${p}: in use`);
        },
      });
      await installs.install("Doom");
      await Deno.writeTextFile(join(game.dir, "local", "save.dat"), "mine");
      await game.ship({ "v.txt": "2" });
      game.version = "2";
      fail = point;
      if (ends === "1") {
        const error = await assertRejects(() => installs.install("Doom"), CommandError);
        assertEquals(error.code, "files-in-use", point);
      } else await installs.install("Doom");
      assertEquals(await Deno.readTextFile(join(game.dir, "local", "v.txt")), ends, point);
      assertEquals(await Deno.readTextFile(join(game.dir, "local", "save.dat")), "mine", point);
      assertEquals(
        [...Deno.readDirSync(game.dir)].map((e) => e.name).sort(),
        ["a.zip", "local"],
        point,
      );
      assertEquals((await readRecords(join(root, "state"))).get("Doom")?.version, ends, point);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("an install makes every extracted file durable before the swap; a failed sync changes nothing", async () => {
  const { syncTree } = await import("../../common/atomic.ts");
  const { readRecords } = await import("./records.ts");
  const root = await Deno.makeTempDir({ prefix: "lanspread-installs-" });
  try {
    const synced: string[][] = [];
    let failSync = false;
    const { game, installs } = await zipGame(root, {
      syncTree: async (dir, paths, options) => {
        if (failSync) throw new Error("Input/output error (os error 5)");
        // Still before the swap: local/ holds the old version, if any.
        const old = await Deno.readTextFile(join(game.dir, "local", "v.txt")).catch(() => null);
        assertEquals(old, game.version === "1" ? null : "1");
        synced.push([...paths]);
        await syncTree(dir, paths, options);
      },
    });
    await installs.install("Doom");
    await game.ship({ "v.txt": "2", "data/x.bin": "x" });
    game.version = "2";
    await installs.install("Doom");
    assertEquals(synced, [["v.txt"], ["data/x.bin", "v.txt"]]);
    assertEquals(await Deno.readTextFile(join(game.dir, "local", "v.txt")), "2");
    game.version = "3";
    failSync = true;
    const error = await assertRejects(() => installs.install("Doom"), CommandError);
    assertEquals(error.code, "io-error");
    assertEquals(
      await Deno.readTextFile(join(game.dir, "local", "v.txt")),
      "2",
      "the old version stays",
    );
    assertEquals([...Deno.readDirSync(game.dir)].map((e) => e.name).sort(), ["a.zip", "local"]);
    assertEquals((await readRecords(join(root, "state"))).get("Doom")?.version, "2");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
