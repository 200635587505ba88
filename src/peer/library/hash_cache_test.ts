import { join } from "node:path";
import { createLogger } from "../../common/log.ts";
import { assert, assertEquals, tempDir } from "./_test_util.ts";
import { readTextIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { HashCache, hashCachePath } from "./hash_cache.ts";
import type { FileStamp } from "./hasher.ts";

const H = "a".repeat(64);

/** A stamp of a file of `size` bytes and mtime `mtimeMs`, the rest fixed. */
const st = (size: number, mtimeMs: number): FileStamp => ({
  size,
  mtimeMs,
  ctimeMs: 1_000,
  ino: 42,
  dev: 7,
});

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "debug", sink: (l) => lines.push(l) }) };
}

Deno.test("HashCache round-trips entries keyed by path and stamp", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("a/b", st(5, 7), [H, H]);
  cache.set("__proto__", st(0, 1), []);
  await cache.save();
  const again = await HashCache.load(state.path, "g", "/games/g", 4, log);
  assertEquals(again.get("a/b", st(5, 7)), [H, H]);
  assertEquals(again.get("__proto__", st(0, 1)), []);
  assertEquals(again.get("a/b", st(5, 8)), undefined);
  assertEquals(again.get("a/b", st(6, 7)), undefined);
  assertEquals(again.get("missing", st(5, 7)), undefined);
});

Deno.test("a cache written in batches reads back whole, whatever its size (0, 512, 1024, 1025)", async () => {
  await using state = await tempDir();
  const { log } = capture();
  for (const count of [0, 512, 1024, 1025]) {
    const cache = await HashCache.load(state.path, `g${count}`, "/games/g", 4, log);
    for (let i = 0; i < count; i++) cache.set(`f${i}`, st(i, 7), [H]);
    cache.set("last", st(1, 1), []);
    await cache.save();
    const text = await Deno.readTextFile(hashCachePath(state.path, `g${count}`));
    assertEquals(JSON.parse(text).files.length, count + 1, `${count} entries: valid JSON`);
    const again = await HashCache.load(state.path, `g${count}`, "/games/g", 4, log);
    assertEquals(again.size, count + 1);
    if (count) assertEquals(again.get(`f${count - 1}`, st(count - 1, 7)), [H]);
  }
});

Deno.test("a cache entry is missed when only ctime, inode or device differ (cp -p, rsync -t)", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("f", st(5, 7), [H, H]);
  await cache.save();
  const again = await HashCache.load(state.path, "g", "/games/g", 4, log);
  assertEquals(again.get("f", st(5, 7)), [H, H]);
  assertEquals(
    again.get("f", { ...st(5, 7), ctimeMs: 2_000 }),
    undefined,
    "rewritten, mtime reset",
  );
  assertEquals(again.get("f", { ...st(5, 7), ino: 43 }), undefined, "replaced by another file");
  assertEquals(again.get("f", { ...st(5, 7), dev: 8 }), undefined, "on another device");
  // Platforms without ctime or inode: the stamp holds null, and null matches null.
  const bare: FileStamp = { size: 5, mtimeMs: 7, ctimeMs: null, ino: null, dev: null };
  again.set("bare", bare, [H]);
  assertEquals(again.get("bare", bare), [H]);
  assertEquals(again.get("bare", { ...bare, ctimeMs: 1 }), undefined);
});

Deno.test("a cache of the first format (size and mtime only) is dropped without a warning", async () => {
  await using state = await tempDir();
  const old = { v: 1, game: "g", dir: "/games/g", blockSize: 4, files: [] };
  await writeFileAtomic(hashCachePath(state.path, "g"), JSON.stringify(old));
  const { lines, log } = capture();
  assertEquals((await HashCache.load(state.path, "g", "/games/g", 4, log)).size, 0);
  assertEquals(lines, []);
});

Deno.test("HashCache is empty for another game folder or block size", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("a", st(1, 1), [H]);
  await cache.save();
  assertEquals((await HashCache.load(state.path, "g", "/other/g", 4, log)).size, 0);
  assertEquals((await HashCache.load(state.path, "g", "/games/g", 8, log)).size, 0);
  assertEquals((await HashCache.load(state.path, "g", "/games/g", 4, log)).size, 1);
});

Deno.test("a corrupt HashCache file is ignored with a warning", async () => {
  await using state = await tempDir();
  for (const junk of ["{not json", '{"v":2,"game":"g"}', "[]", '{"v":3}']) {
    await writeFileAtomic(hashCachePath(state.path, "g"), junk);
    const { lines, log } = capture();
    const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
    assertEquals(cache.size, 0);
    assert(lines.some((l) => l.includes("corrupt")), junk);
  }
});

Deno.test("HashCache.retain forgets files no longer shared and save skips when unchanged", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("keep", st(1, 1), [H]);
  cache.set("drop", st(1, 1), [H]);
  cache.retain(new Set(["keep"]));
  await cache.save();
  const stored = await HashCache.load(state.path, "g", "/games/g", 4, log);
  assertEquals(stored.size, 1);
  assertEquals(stored.get("keep", st(1, 1)), [H]);
  const path = hashCachePath(state.path, "g");
  await Deno.remove(path);
  await cache.save(); // nothing changed since the last save: no write
  assertEquals(await readTextIfExists(path), null);
});

Deno.test("writeFileAtomic replaces a file and leaves no temporary file behind", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "sub", "f.json");
  await writeFileAtomic(path, "one");
  await writeFileAtomic(path, new TextEncoder().encode("two"));
  assertEquals(await Deno.readTextFile(path), "two");
  const names = [];
  for await (const e of Deno.readDir(join(dir.path, "sub"))) names.push(e.name);
  assertEquals(names, ["f.json"]);
});
