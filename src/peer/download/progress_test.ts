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
  saveStamps,
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
    const stamp = { size: 8, mtimeMs: 5, ctimeMs: 6, ino: 7 };
    await saveStamps(state, "G", new Map([[0, stamp], [9, stamp]]));
    await Deno.writeTextFile(join(state, "downloads", "H.json"), "{ not json");
    const { saved, bad } = await loadProgress(state);
    assertEquals(saved.map((d) => [d.game, [...d.verified], [...d.unconfirmed]]), [["G", [0], [
      1,
    ]]]);
    assertEquals(
      [...saved[0]!.stamps],
      [[0, stamp]],
      "a stamp of no file of the manifest is dropped",
    );
    assertEquals(bad.map((b) => [b.game, b.name]), [["H", "H.json"]]);
    // A manifest that no longer matches its hash is never trusted.
    await Deno.writeTextFile(join(state, "downloads", "G.manifest.json"), "{}");
    assertEquals((await loadProgress(state)).saved, []);
    await clearProgress(state, "G");
    assertEquals(
      (await Array.fromAsync(Deno.readDir(join(state, "downloads")))).map((e) => e.name),
      ["H.json"],
    );
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
