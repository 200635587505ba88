import { join } from "node:path";
import { assert, assertEquals, patternBytes, tempDir } from "./_test_util.ts";
import {
  blockCount,
  FileChangedError,
  type FileStamp,
  hashFile,
  sha256Hex,
  stampOf,
} from "./hasher.ts";
import { isInside, openChecked, readFrom, resolveInside, resolveInsideSync } from "./files.ts";

async function stampAt(path: string) {
  return stampOf(await Deno.stat(path));
}

Deno.test("blockCount is ceil(size / blockSize) and 0 for an empty file", () => {
  assertEquals([0, 1, 4, 5, 8, 9].map((n) => blockCount(n, 4)), [0, 1, 1, 2, 2, 3]);
});

Deno.test("hashFile hashes each block, the last one short", async () => {
  await using dir = await tempDir();
  const data = patternBytes(10);
  const path = join(dir.path, "f");
  await Deno.writeFile(path, data);
  const blocks = await hashFile(path, await stampAt(path), 4);
  assertEquals(blocks, [
    sha256Hex(data.subarray(0, 4)),
    sha256Hex(data.subarray(4, 8)),
    sha256Hex(data.subarray(8, 10)),
  ]);
});

Deno.test("hashFile gives no blocks for an empty file and reuses a given buffer", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "empty");
  await Deno.writeFile(path, new Uint8Array());
  assertEquals(await hashFile(path, await stampAt(path), 4), []);
  const other = join(dir.path, "other");
  await Deno.writeFile(other, patternBytes(6));
  const buffer = new Uint8Array(4);
  const blocks = await hashFile(other, await stampAt(other), 4, { buffer });
  assertEquals(blocks.length, 2);
});

Deno.test("hashFile refuses a file that no longer matches its scan", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "f");
  await Deno.writeFile(path, patternBytes(8));
  const stamp = await stampAt(path);
  let error: unknown;
  try {
    await hashFile(path, { ...stamp, size: 9 }, 4);
  } catch (e) {
    error = e;
  }
  assert(error instanceof FileChangedError);
  error = undefined;
  try {
    await hashFile(path, { ...stamp, mtimeMs: stamp.mtimeMs - 1000 }, 4);
  } catch (e) {
    error = e;
  }
  assert(error instanceof FileChangedError);
});

Deno.test("hashFile stops between blocks when its signal aborts", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "f");
  await Deno.writeFile(path, patternBytes(64));
  const ctrl = new AbortController();
  ctrl.abort(new Error("stop"));
  let error: unknown;
  try {
    await hashFile(path, await stampAt(path), 4, { signal: ctrl.signal });
  } catch (e) {
    error = e;
  }
  assertEquals((error as Error).message, "stop");
});

/** `length` bytes at `offset` of `path`, opened as serving opens it (checked against `stamp`). */
async function readBlockAt(path: string, stamp: FileStamp, offset: number, length: number) {
  using file = openChecked(path, stamp, offset);
  return await readFrom(file, path, length);
}

Deno.test("a checked read gives exactly the requested range of an unchanged file", async () => {
  await using dir = await tempDir();
  const data = patternBytes(10);
  const path = join(dir.path, "f");
  await Deno.writeFile(path, data);
  const stamp = await stampAt(path);
  assertEquals(await readBlockAt(path, stamp, 0, 4), data.slice(0, 4));
  assertEquals(await readBlockAt(path, stamp, 8, 2), data.slice(8, 10));
  let error: unknown;
  try {
    await readBlockAt(path, { ...stamp, size: 11 }, 8, 2);
  } catch (e) {
    error = e;
  }
  assert(error instanceof FileChangedError);
});

/** Waits until the clock is past the second of `date` (Deno reports ctime to the second). */
/**
 * Waits until file times can no longer fall in the second of `date` (Deno
 * reports ctime in whole seconds). The margin covers the kernel's coarse
 * clock for file times, which lags the wall clock by up to a tick: without
 * it, a write right at the second's turn could still get the old second.
 */
async function nextSecond(date: Date): Promise<void> {
  const next = (Math.floor(date.getTime() / 1000) + 1) * 1000 + 50;
  while (Date.now() < next) await new Promise((r) => setTimeout(r, 20));
}

Deno.test("a checked open refuses content replaced under the same size and mtime", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "f");
  await Deno.writeFile(path, patternBytes(10));
  const stamp = await stampAt(path);
  const { atime, mtime, ctime } = await Deno.stat(path);
  // `cp -p`: the same inode rewritten, its mtime put back; only ctime tells.
  await nextSecond(ctime!);
  await Deno.writeFile(path, patternBytes(10, 2));
  await Deno.utime(path, atime!, mtime!);
  const rewritten = await stampAt(path);
  assertEquals([rewritten.size, rewritten.mtimeMs, rewritten.ino], [10, stamp.mtimeMs, stamp.ino]);
  let error: unknown = await readBlockAt(path, stamp, 0, 4).catch((e) => e);
  assert(error instanceof FileChangedError, String(error));
  // `rsync -t`: a new file renamed over it, mtime put back; the inode tells.
  const fresh = await stampAt(path);
  await Deno.writeFile(path + ".tmp", patternBytes(10, 3));
  await Deno.utime(path + ".tmp", atime!, mtime!);
  await Deno.rename(path + ".tmp", path);
  error = await readBlockAt(path, fresh, 0, 4).catch((e) => e);
  assert(error instanceof FileChangedError, String(error));
});

Deno.test("resolveInside refuses a symlink that leaves the folder", async () => {
  await using dir = await tempDir();
  const game = join(dir.path, "game");
  await Deno.mkdir(game);
  await Deno.writeTextFile(join(dir.path, "secret"), "s");
  await Deno.writeTextFile(join(game, "inner"), "i");
  await Deno.symlink(join(dir.path, "secret"), join(game, "out"));
  await Deno.symlink("inner", join(game, "in"));
  const real = await Deno.realPath(game);
  assertEquals(await resolveInside(game, real, "out"), null);
  assertEquals(await resolveInside(game, real, "in"), join(real, "inner"));
  assertEquals(resolveInsideSync(game, real, "out"), null, "the serving twin agrees");
  assertEquals(resolveInsideSync(game, real, "in"), join(real, "inner"));
  assert(!isInside(real, real));
  assert(!isInside(real + "-sibling/x", real));
});
