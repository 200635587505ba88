import { join } from "node:path";
import { assertEquals } from "../../../tests/assert.ts";
import { buildManifest } from "../library/mod.ts";
import {
  clearProgress,
  decodeBitmap,
  encodeBitmap,
  loadProgress,
  saveManifest,
  saveProgress,
} from "./progress.ts";

Deno.test("block bitmaps round-trip, ignoring ids out of range", () => {
  const ids = new Set([0, 1, 7, 8, 63, 1000, 4095]);
  assertEquals(decodeBitmap(4096, encodeBitmap(4096, [...ids, 5000, -1])), ids);
  assertEquals(decodeBitmap(3, encodeBitmap(3, [])), new Set());
});

Deno.test("saved progress loads back; damaged records are reported and skipped", async () => {
  const state = await Deno.makeTempDir();
  try {
    const built = buildManifest("G", "1", 4, [{
      path: "a",
      size: 8,
      blocks: ["a".repeat(64), "b".repeat(64)],
    }]);
    await saveManifest(state, "G", built.bytes);
    await saveProgress(state, {
      game: "G",
      version: "1",
      manifestHash: built.hash,
      install: false,
      verified: new Set([0]),
      unconfirmed: new Set([1]),
      blocks: 2,
    });
    await Deno.writeTextFile(join(state, "downloads", "H.json"), "{ not json");
    const bad: string[] = [];
    const loaded = await loadProgress(state, (name) => bad.push(name));
    assertEquals(loaded.map((d) => [d.game, [...d.verified], [...d.unconfirmed]]), [["G", [0], [
      1,
    ]]]);
    assertEquals(bad, ["H.json"]);
    // A manifest that no longer matches its hash is never trusted.
    await Deno.writeTextFile(join(state, "downloads", "G.manifest.json"), "{}");
    assertEquals(await loadProgress(state, () => {}), []);
    await clearProgress(state, "G");
    assertEquals(
      (await Array.fromAsync(Deno.readDir(join(state, "downloads")))).map((e) => e.name),
      ["H.json"],
    );
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
