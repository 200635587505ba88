import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { tempTree } from "../../tests/fixtures.ts";
import { syncFolders, syncTree, writeFileAtomic } from "./atomic.ts";

Deno.test("writeFileAtomic replaces a file whole from chunks and leaves no temporary file", async () => {
  await using tree = await tempTree();
  const dir = tree.root;
  const path = join(dir, "sub", "doc.json");
  await writeFileAtomic(path, "old");
  await writeFileAtomic(path, ["{", new TextEncoder().encode('"a"'), ":1}"]);
  assertEquals(await Deno.readTextFile(path), '{"a":1}');
  assertEquals([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["doc.json"]);
});

Deno.test("syncTree syncs the files below a root, never follows a link, and skips what is gone", async () => {
  await using tree = await tempTree();
  const dir = tree.root;
  await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
  await Deno.writeTextFile(join(dir, "a", "b", "f.bin"), "data");
  await Deno.writeTextFile(join(dir, "top.txt"), "t");
  // Followed, this dangling link would fail to open: it must be passed over.
  await Deno.symlink(join(dir, "nowhere"), join(dir, "a", "link"));
  await syncTree(dir, ["a/b/f.bin", "top.txt", "a/link", "gone.txt"]);
  assertEquals(await Deno.readTextFile(join(dir, "a", "b", "f.bin")), "data");
  await assertRejects(
    () => syncTree(dir, ["top.txt"], { signal: AbortSignal.abort(new Error("stop")) }),
    Error,
    "stop",
  );
});

Deno.test("syncFolders flushes every folder on the way to each path and passes over missing ones", async () => {
  await using tree = await tempTree();
  const dir = tree.root;
  await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
  await Deno.writeTextFile(join(dir, "a", "b", "f.bin"), "data");
  await syncFolders(dir, ["a/b/f.bin", "gone/x/y.bin", "top.txt"]);
  await assertRejects(
    () => syncFolders(dir, ["a/b/f.bin"], { signal: AbortSignal.abort(new Error("stop")) }),
    Error,
    "stop",
  );
});
