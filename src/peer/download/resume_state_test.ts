import { join } from "node:path";
import { assertEquals } from "../../../tests/assert.ts";
import { buildManifest } from "../library/mod.ts";
import {
  appendStamps,
  bitsOf,
  clearProgress,
  decodeBitmap,
  encodeBitmap,
  loadProgress,
  saveManifest,
  saveProgress,
} from "./resume_state.ts";

Deno.test("block bitmaps round-trip, ignoring ids out of range", () => {
  const ids = new Set([0, 1, 7, 8, 63, 1000, 4095]);
  assertEquals(decodeBitmap(4096, encodeBitmap(4096, [...ids, 5000, -1])), ids);
  assertEquals(decodeBitmap(3, encodeBitmap(3, [])), new Set());
});

Deno.test("saved progress loads back; damaged records are reported and skipped", async () => {
  const state = await Deno.makeTempDir();
  try {
    const built = buildManifest({
      game: "G",
      version: "1",
      blockSize: 4,
      files: [{
        path: "a",
        size: 8,
        blocks: ["a".repeat(64), "b".repeat(64)],
      }],
    });
    await saveManifest(state, "G", built.bytes);
    await saveProgress(state, {
      game: "G",
      version: "1",
      manifestHash: built.hash,
      install: false,
      verified: bitsOf(2, [0]),
      unconfirmed: bitsOf(2, [1]),
    });
    const stamp = { size: 8, mtimeMs: 5, ctimeMs: 6, ino: 7 };
    const older = { ...stamp, size: 1 };
    await appendStamps(state, "G", new Map([[0, older], [9, stamp]]));
    await appendStamps(state, "G", new Map([[0, stamp]]));
    // A torn last line (a crash in the middle of an append) is ignored.
    await Deno.writeTextFile(join(state, "downloads", "G.stamps.jsonl"), "[0,9", { append: true });
    await Deno.writeTextFile(join(state, "downloads", "H.json"), "{ not json");
    const { saved, bad } = await loadProgress(state);
    assertEquals(saved.map((d) => [d.game, [...d.verified], [...d.unconfirmed]]), [["G", [0], [
      1,
    ]]]);
    assertEquals(
      [...saved[0]!.stamps],
      [[0, stamp]],
      "the last line wins; no file 9 in the manifest",
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
