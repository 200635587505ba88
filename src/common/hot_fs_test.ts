import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { tempTree } from "../../tests/fixtures.ts";
import { HotFs } from "./hot_fs.ts";

Deno.test("a hot reader answers like the async calls and rejects a missing path with NotFound", async () => {
  await using tree = await tempTree();
  const dir = tree.root;
  await Deno.writeTextFile(`${dir}/a.txt`, "abc");
  await Deno.mkdir(`${dir}/sub`);
  const fs = new HotFs();
  const info = await fs.lstat(`${dir}/a.txt`);
  assertEquals([info.isFile, info.size], [true, 3]);
  const names = (await fs.readDir(dir)).map((e) => `${e.name}:${e.isDirectory}`).sort();
  assertEquals(names, ["a.txt:false", "sub:true"]);
  await assertRejects(() => fs.lstat(`${dir}/missing`), Deno.errors.NotFound);
  await assertRejects(() => fs.readDir(`${dir}/missing`), Deno.errors.NotFound);
  assertEquals(fs.cold, false, "nothing here is slow");
});

Deno.test("a call that took long turns the reader async for good, with the same answers", async () => {
  await using tree = await tempTree();
  const dir = tree.root;
  await Deno.writeTextFile(`${dir}/a.txt`, "abcd");
  let now = 0;
  let slow = false;
  // The clock jumps while a slow call runs, as a disk seek would make it.
  const fs = new HotFs({ coldMs: 4, now: () => slow ? (now += 5) : now });
  assertEquals((await fs.lstat(`${dir}/a.txt`)).size, 4);
  assertEquals(fs.cold, false);
  slow = true;
  assertEquals((await fs.lstat(`${dir}/a.txt`)).size, 4);
  assertEquals(fs.cold, true, "5 ms for one lstat: cold");
  slow = false;
  assertEquals((await fs.readDir(dir)).map((e) => e.name), ["a.txt"]);
  await assertRejects(() => fs.lstat(`${dir}/missing`), Deno.errors.NotFound);
  assertEquals(fs.cold, true);
});
