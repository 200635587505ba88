/**
 * Games of the namespace bench, made once per run and shared by hard links:
 * lanspread's seeds get the game folder (with its version.ini), Syncthing's
 * seed the same files without it.
 *
 * @module
 */
import { join } from "node:path";
import type { Tree } from "../tests/fixtures.ts";
import { writeBigFile } from "./peer_bench.ts";

export const GAME = "Bench";

/** Where fixtures go, and those made so far in this bench run, by shape. */
export interface FixtureContext {
  t: Tree;
  fixtures: Map<string, Promise<Fixture>>;
}

/** A game on disk: its folder (with version.ini), Syncthing's copy (without), its size. */
export interface Fixture {
  gameDir: string;
  syncDir: string;
  bytes: number;
  files: number;
}

/** A fixture made once per bench: one big file, or `files` small ones (hard-linked copies). */
export function fixture(ctx: FixtureContext, files: number, size: number): Promise<Fixture> {
  const key = `${files}x${size}`;
  if (!ctx.fixtures.has(key)) ctx.fixtures.set(key, makeFixture(ctx.t, key, files, size));
  return ctx.fixtures.get(key)!;
}

async function makeFixture(t: Tree, key: string, files: number, size: number): Promise<Fixture> {
  const gameDir = t.path(`fx-${key}`, GAME);
  await Deno.mkdir(gameDir, { recursive: true });
  if (files === 1) await writeBigFile(join(gameDir, "big.bin"), size);
  const bytes = new Uint8Array(size);
  for (let i = 0; files > 1 && i < files; i++) {
    const sub = join(gameDir, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) await Deno.mkdir(sub, { recursive: true });
    crypto.getRandomValues(bytes.subarray(0, 65536)); // every file differs
    await Deno.writeFile(join(sub, `f${i}.dat`), bytes);
  }
  // Syncthing shares the same inodes, without lanspread's version.ini.
  const syncDir = t.path(`st-${key}`);
  const cp = await new Deno.Command("cp", { args: ["-al", gameDir, syncDir] }).output();
  if (!cp.success) throw new Error(`cp -al: ${new TextDecoder().decode(cp.stderr)}`);
  await Deno.writeTextFile(join(gameDir, "version.ini"), "1");
  return { gameDir, syncDir, bytes: files * size, files };
}
