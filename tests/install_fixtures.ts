/**
 * Game folders with archives for the install tests: each writer puts a
 * `version.ini` and its archives in `<games>/<id>/` and returns the tree
 * an install must produce (relative path → SHA-256).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gameBytes, writeRar5, writeTar, writeZip } from "./fixtures/archives.ts";
import { ROOT } from "./peer_process.ts";

export type Digest = Record<string, string>;

const RAR = join(ROOT, "tests/fixtures/rar");
const encoder = new TextEncoder();

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Every file under `dir` (relative, `/`) → SHA-256, sorted; null when `dir` is absent. */
export async function treeDigest(dir: string, prefix = ""): Promise<Digest | null> {
  const out: Digest = {};
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(join(dir, prefix)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !prefix) return null;
    throw error;
  }
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, await treeDigest(dir, rel));
    else out[rel] = sha256(await Deno.readFile(join(dir, rel)));
  }
  return sorted(out);
}

export function sorted(d: Digest): Digest {
  return Object.fromEntries(Object.entries(d).sort(([a], [b]) => a < b ? -1 : 1));
}

async function start(games: string, id: string, version: string): Promise<string> {
  const dir = join(games, id);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "version.ini"), version);
  return dir;
}

/** A zip (deflate) or tar.gz game whose files are `files` (path → bytes). */
export async function archiveGame(
  games: string,
  id: string,
  version: string,
  format: "zip" | "tar.gz" | "rar5-stored",
  files: Record<string, Uint8Array>,
): Promise<Digest> {
  const dir = await start(games, id, version);
  const entries = Object.entries(files).map(([name, data]) => ({ name, data }));
  // A new version's archive replaces the old one (another name would leave both at the root).
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("game.")) await Deno.remove(join(dir, e.name));
  }
  if (format === "zip") writeZip(join(dir, "game.zip"), entries);
  else if (format === "tar.gz") await writeTar(join(dir, "game.tar.gz"), entries, { gzip: true });
  else writeRar5(join(dir, "game.rar"), entries);
  return sorted(Object.fromEntries(entries.map((e) => [e.name, sha256(e.data)])));
}

/** Files of a version: a big data file, a small one, a start script. */
export function versionFiles(version: number, size = 3_000_000): Record<string, Uint8Array> {
  return {
    "data/pak0.pak": gameBytes(size, version),
    [`data/v${version}.txt`]: encoder.encode(`version ${version}\n`),
    "start.sh": encoder.encode("echo started > started.txt\n"),
  };
}

/** libarchive's solid multi-volume RAR 5 set (4 volumes): files and hashes (CRCs checked by unrar). */
export async function solidRarGame(games: string, id: string): Promise<Digest> {
  const dir = await start(games, id, "1");
  for (const n of ["01", "02", "03", "04"]) {
    const name = `test_read_format_rar5_multiarchive_solid.part${n}.rar`;
    await Deno.copyFile(join(RAR, name), join(dir, name));
  }
  return {
    "cebula.txt": "1e98540238b2b13d1a22f4f4fa8e2eb6c66e24d46115ffdfafd3f3f981b212e7",
    "elf-Linux-ARMv7-ls": "e68c62b49184ed764f324fb4722481d60e1bf321b722238d95247f391960605c",
    "test.bin": "588870a2dade35c2650fbb7898c9a9c7f21fce7c281198604e8d0c9737f2c375",
    "test1.bin": "7d89f86f9f69d744ffff3fc043e15bf89fc3ffc134ffcbb31d164a99bb8b67b0",
    "test2.bin": "f81e6fceeeab366306b23466bf6bb3aac2875e0906dc20a8652be0696ceb15a2",
    "test3.bin": "5e621f2b6ce8fed758c3df8221f994eda55d1e432c7cc4349c34a30ec2e1c43d",
    "test4.bin": "2627f40180217252956edb9a426e8d3e344adaf89019d3bccbe04f6c3416dcdd",
    "test5.bin": "b0622b648b174abd9c5f3965155bbcc82c642f997ab8949add0a8632bf94e636",
    "test6.bin": "0b79ce23670b7c2e5a0d4b62f0de7b0c745522be9ed6a9ec70da6991c2f010f2",
  };
}

/** libarchive's multi-volume RAR 4 set (3 volumes, one file). */
export async function multiVolumeRarGame(games: string, id: string): Promise<Digest> {
  const dir = await start(games, id, "1");
  for (const n of [1, 2, 3]) {
    const name = `test_rar_multivolume_single_file.part${n}.rar`;
    await Deno.copyFile(join(RAR, name), join(dir, name));
  }
  return {
    "LibarchiveAddingTest.html": "ee16390e87152d7dec632ae2b37566da6135966e46b5166e6f40a1c827fa61ad",
  };
}

/** A game whose archive is one of the RAR fixtures as is (e.g. the encrypted one). */
export async function rarFixtureGame(games: string, id: string, fixture: string): Promise<void> {
  const dir = await start(games, id, "1");
  await Deno.copyFile(join(RAR, fixture), join(dir, "game.rar"));
}

/** Whether `path` exists (lstat). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
