import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { claimDir, isOwned, NotOursError, OWNER_FILE, removeOwned } from "./owned_dir.ts";

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a claimed folder is created with the marker and claimed again without complaint", () =>
  withTemp(async (root) => {
    const dir = join(root, ".lanspread-x");
    await claimDir(dir);
    assert(await isOwned(dir));
    await claimDir(dir);
    assertEquals((await Deno.lstat(join(dir, OWNER_FILE))).isFile, true);
  }));

Deno.test("a folder without the marker, a file or a symlink under a reserved name is refused and untouched", () =>
  withTemp(async (root) => {
    const theirs = join(root, "theirs");
    await Deno.mkdir(theirs);
    await Deno.writeTextFile(join(theirs, "precious.txt"), "mine");
    const error = await assertRejects(() => claimDir(theirs), NotOursError);
    assertEquals(error.code, "not-ours");
    const link = join(root, "link");
    await Deno.symlink(theirs, link);
    await assertRejects(() => claimDir(link), NotOursError, "symbolic link");
    const file = join(root, "file");
    await Deno.writeTextFile(file, "x");
    await assertRejects(() => claimDir(file), NotOursError, "not a folder");
    assertEquals(await removeOwned(theirs), false);
    assertEquals(await removeOwned(link), false);
    assertEquals(await Deno.readTextFile(join(theirs, "precious.txt")), "mine");
  }));

Deno.test("removing an owned folder removes a symlink planted inside, never its target", () =>
  withTemp(async (root) => {
    const outside = join(root, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "keep.txt"), "keep");
    const dir = join(root, ".lanspread-x");
    await claimDir(dir);
    await Deno.symlink(outside, join(dir, "files"));
    assertEquals(await removeOwned(dir), true);
    assertEquals(await Deno.readTextFile(join(outside, "keep.txt")), "keep");
  }));
