import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertRejects,
  modesTest,
  tempDir,
  writeFiles,
} from "./_test_util.ts";
import { scanGame, scanGamesDir } from "./scan.ts";

const paths = (game: { files: { path: string }[] } | null) => game?.files.map((f) => f.path);

Deno.test("scanGamesDir finds game folders and reports every other name as ignored", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "quake/version.ini": "1.0",
    "doom/readme.txt": "no version yet",
    "bad name/version.ini": "1",
    "-dash/version.ini": "1",
    "notes.txt": "a file is not a game",
    ".lanspread-tmp/x": "ours, not reported",
  });
  const result = await scanGamesDir(games.path);
  assertEquals(result.games.map((g) => g.id), ["doom", "quake"]);
  assertEquals(result.ignored, ["-dash", "bad name", "notes.txt"]);
});

Deno.test("a game is downloaded when version.ini holds a version, trimmed", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "a/version.ini": "  2.0-3 \r\n",
    "b/version.ini": "\ufeff1.5\n", // Notepad's byte order mark
    "c/data.bin": "x",
  });
  assertEquals((await scanGame(games.path, "a"))?.version, "2.0-3");
  assertEquals((await scanGame(games.path, "b"))?.version, "1.5");
  const c = await scanGame(games.path, "c");
  assertEquals(c?.version, null);
  assertEquals(c?.warnings, []);
});

Deno.test("an empty or invalid version.ini means not downloaded, with a warning", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "empty/version.ini": "  \n",
    "lines/version.ini": "1.0\n[section]\n",
    "long/version.ini": "9".repeat(200),
    "binary/version.ini": new Uint8Array([0xff, 0xfe, 0x31]),
    "huge/version.ini": "1".repeat(5000),
  });
  await Deno.mkdir(join(games.path, "folder", "version.ini"), { recursive: true });
  for (const id of ["empty", "lines", "long", "binary", "huge", "folder"]) {
    const game = await scanGame(games.path, id);
    assertEquals(game?.version, null, id);
    if (id !== "folder") assert(game!.warnings.some((w) => w.includes("version.ini")), id);
  }
});

Deno.test("shared files are every regular file, recursively, sorted, with their stamps", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "g/version.ini": "1",
    "g/game.json": "{}",
    "g/data/maps/e1m1.bsp": "12345",
    "g/data/b.pak": "",
    "g/Setup.exe": "xy",
    "g/data/local/not-special-here": "z",
  });
  const game = await scanGame(games.path, "g");
  assertEquals(paths(game), [
    "Setup.exe",
    "data/b.pak",
    "data/local/not-special-here",
    "data/maps/e1m1.bsp",
    "game.json",
    "version.ini",
  ]);
  assertEquals(game!.size, 2 + 0 + 1 + 5 + 2 + 1);
  const info = await Deno.stat(join(games.path, "g", "data", "maps", "e1m1.bsp"));
  const file = game!.files.find((f) => f.path === "data/maps/e1m1.bsp")!;
  assertEquals(file, {
    path: "data/maps/e1m1.bsp",
    size: 5,
    mtimeMs: info.mtime!.getTime(),
    ctimeMs: info.ctime!.getTime(),
    ino: info.ino,
    dev: info.dev,
  });
});

Deno.test("local/ marks a game installed and is never shared, nor is anything .lanspread*", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "g/version.ini": "1",
    "g/local/save.dat": "save",
    "g/.lanspread-staging/part": "p",
    "g/.lanspread.json": "{}",
    "g/data/.lanspread-part": "p",
    "g/data/ok.bin": "ok",
    "h/version.ini": "1",
  });
  const g = await scanGame(games.path, "g");
  assertEquals(g?.installed, true);
  assertEquals(paths(g), ["data/ok.bin", "version.ini"]);
  assertEquals(g?.warnings, []);
  assertEquals((await scanGame(games.path, "h"))?.installed, false);
});

Deno.test("names the wire would refuse are not shared, with a warning", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "g/version.ini": "1",
    "g/back\\slash.txt": "x",
    "g/colon:stream": "x",
    "g/Local/x": "x", // the installed tree on a case-insensitive disk
    "g/new\nline": "x",
  });
  const g = await scanGame(games.path, "g");
  assertEquals(paths(g), ["version.ini"]);
  assertEquals(g!.warnings.length, 4);
});

Deno.test("names that cannot exist on Windows are not shared, with a warning", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "g/version.ini": "1",
    "g/CON": "x",
    "g/data/aux.txt": "x",
    "g/nul.tar.gz": "x",
    "g/trailing.": "x",
    "g/what?": "x",
    "g/fine.txt": "x",
  });
  const g = await scanGame(games.path, "g");
  assertEquals(paths(g), ["fine.txt", "version.ini"]);
  assertEquals(g!.warnings.length, 5);
});

Deno.test("files differing only in case are shared once, the first sorted, with a warning", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "g/version.ini": "1",
    "g/README.txt": "first",
    "g/Readme.txt": "second",
    "g/readme.txt": "third",
    "g/Maps/a.bsp": "aa",
    "g/maps/b.bsp": "bbb",
  });
  const g = await scanGame(games.path, "g");
  assertEquals(paths(g), ["Maps/a.bsp", "README.txt", "version.ini"]);
  assertEquals(g!.size, 2 + 5 + 1);
  assertEquals(g!.warnings, [
    "not shared: Readme.txt: Readme.txt and README.txt differ only in case",
    "not shared: maps/b.bsp: folders maps and Maps differ only in case",
    "not shared: readme.txt: readme.txt and README.txt differ only in case",
  ]);
});

Deno.test("game folders whose ids differ only in case: the first sorted is offered", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, { "Quake/version.ini": "1", "quake/version.ini": "2" });
  const result = await scanGamesDir(games.path);
  assertEquals(result.games.map((g) => [g.id, g.error]), [
    ["Quake", undefined],
    ["quake", "its id differs only in case from Quake"],
  ]);
});

Deno.test("symlinks are shared only when they stay inside the game folder", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, {
    "secret.txt": "outside",
    "other/version.ini": "1",
    "g/version.ini": "1",
    "g/data/real.bin": "real",
    "g/sub/x.txt": "x",
  });
  const g = join(games.path, "g");
  await Deno.symlink(join(games.path, "secret.txt"), join(g, "escape.txt"));
  await Deno.symlink("../../secret.txt", join(g, "data", "relative-escape.txt"));
  await Deno.symlink(join(games.path, "other", "version.ini"), join(g, "sibling.ini"));
  await Deno.symlink("real.bin", join(g, "data", "alias.bin"));
  await Deno.symlink(join(g, "sub"), join(g, "dirlink"));
  await Deno.symlink("/", join(g, "root"));
  await Deno.symlink("missing", join(g, "dangling"));
  await Deno.symlink("loop-b", join(g, "loop-a"));
  await Deno.symlink("loop-a", join(g, "loop-b"));
  const game = await scanGame(games.path, "g");
  assertEquals(paths(game), ["data/alias.bin", "data/real.bin", "sub/x.txt", "version.ini"]);
  const alias = game!.files.find((f) => f.path === "data/alias.bin")!;
  assertEquals(alias.size, 4);
  const warnings = game!.warnings.join("\n");
  const names = ["escape.txt", "relative-escape.txt", "sibling.ini", "dirlink", "root", "dangling"];
  for (const name of [...names, "loop-a", "loop-b"]) {
    assert(warnings.includes(name), name);
  }
});

Deno.test("a symlinked game folder is scanned inside its target", async () => {
  await using games = await tempDir();
  await using elsewhere = await tempDir();
  await writeFiles(elsewhere.path, { "version.ini": "3", "data.bin": "d" });
  await Deno.symlink(elsewhere.path, join(games.path, "linked"));
  const game = await scanGame(games.path, "linked");
  assertEquals(game?.version, "3");
  assertEquals(paths(game), ["data.bin", "version.ini"]);
});

Deno.test({
  name: "special files such as FIFOs are not shared (reading one would block)",
  ignore: Deno.build.os === "windows",
}, async () => {
  await using games = await tempDir();
  await writeFiles(games.path, { "g/version.ini": "1" });
  const made = await new Deno.Command("mkfifo", { args: [join(games.path, "g", "pipe")] })
    .output();
  assert(made.success);
  const game = await scanGame(games.path, "g");
  assertEquals(paths(game), ["version.ini"]);
  assert(game!.warnings.some((w) => w.includes("pipe")));
});

Deno.test("scanGamesDir rejects when the games dir is not a readable folder", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "file");
  await Deno.writeTextFile(file, "not a folder");
  await assertRejects(() => scanGamesDir(file));
  await assertRejects(() => scanGamesDir(join(dir.path, "missing")));
});

Deno.test(modesTest(
  "an unreadable sub-folder makes the game unofferable instead of half-shared",
  import.meta.url,
  unreadableSubFolder,
));

async function unreadableSubFolder() {
  await using games = await tempDir();
  await writeFiles(games.path, { "g/version.ini": "1", "g/locked/x": "x" });
  const locked = join(games.path, "g", "locked");
  await Deno.chmod(locked, 0o000);
  try {
    const game = await scanGame(games.path, "g");
    assert(game?.error?.includes("cannot read"));
    assertEquals(game?.files, []);
  } finally {
    await Deno.chmod(locked, 0o755);
  }
}

Deno.test("scanGame is null for a missing folder, a file, or a name that is not a game id", async () => {
  await using games = await tempDir();
  await writeFiles(games.path, { "file.txt": "x", "bad name/version.ini": "1" });
  assertEquals(await scanGame(games.path, "missing"), null);
  assertEquals(await scanGame(games.path, "file.txt"), null);
  assertEquals(await scanGame(games.path, "bad name"), null);
  assertEquals(await scanGame(games.path, "../escape"), null);
});
