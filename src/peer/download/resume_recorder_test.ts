import { assertEquals } from "../../../tests/assert.ts";
import { tempTree } from "../../../tests/fixtures.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { planBlocks } from "./plan.ts";
import { ResumeRecorder } from "./resume_recorder.ts";
import { Staging } from "./staging.ts";

const MiB = 1024 * 1024;

Deno.test("once less than 32 MiB is left to fetch, every save flushes: the last flush stays short", async () => {
  await using t = await tempTree();
  // One file of 48 blocks of 1 MiB; the recorder counts bytes, nothing needs writing.
  const manifest: Manifest = {
    game: "G",
    version: "1",
    blockSize: MiB,
    files: [{ path: "big.bin", size: 48 * MiB, blocks: new Array(48).fill("0".repeat(64)) }],
  };
  const staging = new Staging(t.path("G"), manifest);
  await staging.prepare(true);
  let flushes = 0;
  const flush = staging.flush.bind(staging);
  staging.flush = () => (flushes++, flush());
  const recorder = new ResumeRecorder({
    stateDir: t.path("state"),
    target: {
      game: "G",
      version: "1",
      manifestHash: "h",
      manifest,
      install: false,
      verified: new Set(),
      unconfirmed: new Set(),
      stamps: new Map(),
    },
    plan: planBlocks(manifest),
    staging,
    now: () => 0, // a still clock: saves and flushes go by bytes alone
  });
  const verify = async (from: number, to: number) => {
    recorder.add(Array.from({ length: to - from }, (_, i) => from + i));
    await recorder.save();
  };
  await verify(0, 8);
  await verify(8, 16);
  assertEquals(flushes, 0, "16 MiB written, 32 MiB left: no flush yet");
  await verify(16, 24);
  assertEquals(flushes > 0, true, "24 MiB unflushed, but only 24 MiB left: flushed");
  await staging.close();
});
