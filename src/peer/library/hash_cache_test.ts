import { join } from "node:path";
import { createLogger } from "../../common/log.ts";
import { assert, assertEquals, tempDir } from "./_test_util.ts";
import { readTextIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { HashCache, hashCachePath } from "./hash_cache.ts";

const H = "a".repeat(64);

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "debug", sink: (l) => lines.push(l) }) };
}

Deno.test("HashCache round-trips entries keyed by path, size and mtime", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("a/b", { size: 5, mtimeMs: 7 }, [H, H]);
  cache.set("__proto__", { size: 0, mtimeMs: 1 }, []);
  await cache.save();
  const again = await HashCache.load(state.path, "g", "/games/g", 4, log);
  assertEquals(again.get("a/b", { size: 5, mtimeMs: 7 }), [H, H]);
  assertEquals(again.get("__proto__", { size: 0, mtimeMs: 1 }), []);
  assertEquals(again.get("a/b", { size: 5, mtimeMs: 8 }), undefined);
  assertEquals(again.get("a/b", { size: 6, mtimeMs: 7 }), undefined);
  assertEquals(again.get("missing", { size: 5, mtimeMs: 7 }), undefined);
});

Deno.test("HashCache is empty for another game folder or block size", async () => {
  await using state = await tempDir();
  const { log } = capture();
  const cache = await HashCache.load(state.path, "g", "/games/g", 4, log);
  cache.set("a", { size: 1, mtimeMs: 1 }, [H]);
  await cache.save();
  assertEquals((await HashCache.load(state.path, "g", "/other/g", 4, log)).size, 0);
  assertEquals((await HashCache.load(state.path, "g", "/games/g", 8, log)).size, 0);
  assertEquals((await HashCache.load(state.path, "g", "/games/g", 4, log)).size, 1);
});

Deno.test("a corrupt HashCache file is ignored with a warning", async () => {
  await using state = await tempDir();
  for (const junk of ["{not json", '{"v":1,"game":"g"}', "[]", '{"v":2}']) {
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
  cache.set("keep", { size: 1, mtimeMs: 1 }, [H]);
  cache.set("drop", { size: 1, mtimeMs: 1 }, [H]);
  cache.retain(new Set(["keep"]));
  await cache.save();
  const stored = await HashCache.load(state.path, "g", "/games/g", 4, log);
  assertEquals(stored.size, 1);
  assertEquals(stored.get("keep", { size: 1, mtimeMs: 1 }), [H]);
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
