/**
 * Fixture libraries on real disk: game folders with version.ini, game.json
 * and files of chosen sizes, in temporary folders the tests remove.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { HashCache } from "../src/peer/library/hash_cache.ts";
import { hashFile, scanGame, stampOf } from "../src/peer/library/mod.ts";
import { LIMITS } from "../src/wire/protocol.ts";

export interface GameSpec {
  id: string;
  version?: string | null;
  name?: string;
  /** Relative path -> size in bytes (content is deterministic per path). */
  files?: Record<string, number>;
}

/** Deterministic bytes for a file, so copies can be compared. */
export function fileBytes(path: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0;
  for (const ch of path) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Writes one game folder into `gamesDir`. */
export async function writeGame(gamesDir: string, spec: GameSpec): Promise<string> {
  const dir = join(gamesDir, spec.id);
  await Deno.mkdir(dir, { recursive: true });
  if (spec.version !== null) {
    await Deno.writeTextFile(join(dir, "version.ini"), spec.version ?? "1.0");
  }
  if (spec.name) {
    await Deno.writeTextFile(join(dir, "game.json"), JSON.stringify({ name: spec.name }));
  }
  for (const [path, size] of Object.entries(spec.files ?? { "data.bin": 1024 })) {
    await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
    await Deno.writeFile(join(dir, path), fileBytes(path, size));
  }
  return dir;
}

/** What {@linkcode tempTree} gives. */
export type Tree = Awaited<ReturnType<typeof tempTree>>;

/** A temporary folder tree for one test, removed by `cleanup` (or at the end of `await using`). */
export async function tempTree(prefix = "lanspread-test-") {
  const root = await Deno.makeTempDir({ prefix });
  const cleanup = () => Deno.remove(root, { recursive: true }).catch(() => {});
  return {
    root,
    path: (...parts: string[]) => join(root, ...parts),
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
}

/**
 * Makes the hash cache in `stateDir` claim, for every file of game `id` in
 * `gamesDir` as it is now, the block hashes of the same file in
 * `honestGamesDir`: a seed started on it offers the honest manifest and
 * serves whatever bytes its files hold (no stamp can tell), until a report
 * of a bad block makes it look.
 */
export async function lyingHashCache(
  stateDir: string,
  gamesDir: string,
  id: string,
  honestGamesDir: string,
): Promise<void> {
  const scan = await scanGame(gamesDir, id);
  if (!scan) throw new Error(`no game ${id} in ${gamesDir}`);
  const cache = HashCache.empty(stateDir, id, scan.dir, LIMITS.blockSize);
  for (const file of scan.files) {
    const honest = join(honestGamesDir, id, ...file.path.split("/"));
    const blocks = await hashFile(honest, stampOf(await Deno.stat(honest)), LIMITS.blockSize);
    cache.set(file.path, file, blocks);
  }
  await cache.save();
}

/** Why a tmpfs cannot be mounted here (for disk-full tests), or null when it can. */
export function canMountTmpfs(): string | null {
  if (Deno.build.os !== "linux") return "tmpfs needs Linux";
  if (Deno.uid() !== 0) return "mounting a tmpfs needs root (CI runs as root)";
  return null;
}

/** Runs a command; rejects with its stderr when it fails. */
export async function run(cmd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}
