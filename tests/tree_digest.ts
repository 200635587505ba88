/**
 * Test helpers for comparing game folders by content, and a seeded random
 * source so that a failing property test can be replayed.
 *
 * @module
 */
import { join } from "node:path";
import { createHash } from "node:crypto";

/** Every shared file below `dir` (not `local/`, not `.lanspread*`) as path → SHA-256, sorted. */
export async function gameDigest(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".lanspread") || (!prefix && entry.name === "local")) continue;
    const rel = prefix + entry.name;
    const full = join(dir, entry.name);
    if (entry.isDirectory) Object.assign(out, await gameDigest(full, rel + "/"));
    else out[rel] = createHash("sha256").update(await Deno.readFile(full)).digest("hex");
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1));
}

/** A small seeded generator (mulberry32): the seed is printed so a run can be replayed. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
  };
}
