import { join } from "node:path";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { silentLogger } from "../../common/log.ts";
import { applyJournal, type CommitJournal, journalPath, recoverCommits } from "./commit.ts";
import { STAGING_DIR } from "./staging.ts";
import { writeFileAtomic } from "../../common/atomic.ts";

async function tree(files: Record<string, string>, root: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, ...path.split("/"));
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
}

async function listing(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...await listing(join(dir, e.name), rel + "/"));
    else out.push(rel);
  }
  return out.sort();
}

async function setup() {
  const root = await Deno.makeTempDir();
  const games = join(root, "games");
  const state = join(root, "state");
  const game = join(games, "G");
  await tree({
    "version.ini": "1",
    "old.dat": "old only",
    "shared.dat": "old shared",
    "gone/deep.dat": "old",
    "local/save.dat": "my save",
  }, game);
  await tree({
    "version.ini": "2",
    "shared.dat": "new shared",
    "new/dir/file.dat": "new",
  }, join(game, STAGING_DIR, "files"));
  const journal: CommitJournal = {
    v: 1,
    game: "G",
    version: "2",
    files: ["new/dir/file.dat", "shared.dat", "version.ini"],
    remove: ["gone/deep.dat", "old.dat"],
  };
  return { root, games, state, game, journal, done: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("a commit moves the new files in, removes the old ones, keeps local/ and ends with version.ini", async () => {
  const s = await setup();
  try {
    await applyJournal(s.state, s.games, s.journal);
    assertEquals(await listing(s.game), [
      "local/save.dat",
      "new/dir/file.dat",
      "shared.dat",
      "version.ini",
    ]);
    assertEquals(await Deno.readTextFile(join(s.game, "version.ini")), "2");
    assertEquals(await Deno.readTextFile(join(s.game, "shared.dat")), "new shared");
    assertEquals(await Deno.readTextFile(join(s.game, "local", "save.dat")), "my save");
  } finally {
    await s.done();
  }
});

Deno.test("a commit cut short by a crash is rolled forward at the next start", async () => {
  const s = await setup();
  try {
    // The crash came after the journal and one move, before version.ini.
    await writeFileAtomic(journalPath(s.state, "G"), JSON.stringify(s.journal));
    await Deno.rename(join(s.game, STAGING_DIR, "files", "shared.dat"), join(s.game, "shared.dat"));
    assertEquals(await Deno.readTextFile(join(s.game, "version.ini")), "1");
    assertEquals(await recoverCommits(s.state, s.games, silentLogger), ["G"]);
    assertEquals(await Deno.readTextFile(join(s.game, "version.ini")), "2");
    assertEquals(await Deno.readTextFile(join(s.game, "new", "dir", "file.dat")), "new");
    assert(!await Deno.stat(journalPath(s.state, "G")).then(() => true, () => false));
    assertEquals(await recoverCommits(s.state, s.games, silentLogger), []);
  } finally {
    await s.done();
  }
});

Deno.test("a symlink in the way is replaced, never followed out of the game folder", async () => {
  const s = await setup();
  const outside = join(s.root, "outside");
  await Deno.mkdir(outside);
  try {
    await Deno.symlink(outside, join(s.game, "new"));
    await applyJournal(s.state, s.games, s.journal);
    assertEquals(await listing(outside), []);
    assert((await Deno.lstat(join(s.game, "new"))).isDirectory);
    assertEquals(await Deno.readTextFile(join(s.game, "new", "dir", "file.dat")), "new");
  } finally {
    await s.done();
  }
});

Deno.test("a journal naming paths outside the game or in local/ touches nothing there", async () => {
  const s = await setup();
  try {
    await tree({ "victim.txt": "keep" }, s.root);
    await applyJournal(s.state, s.games, {
      ...s.journal,
      remove: ["../../victim.txt", "local/save.dat", ".lanspread-download/files/version.ini"],
    });
    assertEquals(await Deno.readTextFile(join(s.root, "victim.txt")), "keep");
    assertEquals(await Deno.readTextFile(join(s.game, "local", "save.dat")), "my save");
  } finally {
    await s.done();
  }
});
