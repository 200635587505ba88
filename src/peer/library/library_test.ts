import { join } from "node:path";
import { EventLog } from "../../common/events.ts";
import { createLogger } from "../../common/log.ts";
import {
  assert,
  assertEquals,
  modesTest,
  patternBytes,
  recordDeltas,
  tempDir,
  until,
  writeFiles,
} from "./_test_util.ts";
import { sha256Hex } from "./hasher.ts";
import { Library } from "./library.ts";
import { parseManifest } from "./manifest.ts";
import type { BlockFailure, LibraryOptions } from "./types.ts";
import type { LibrarySnapshot } from "../../wire/library_schemas.ts";
import type { Manifest } from "../../wire/download_schemas.ts";

const BLOCK = 16;

interface Harness {
  games: string;
  state: string;
  library: Library;
  events: EventLog;
  logs: string[];
  /** Starts `run` (once) and waits for the first scan. */
  start(): Promise<void>;
}

/** A library over fresh temporary folders; `run` is aborted and awaited at the end. */
async function withLibrary(
  fn: (h: Harness) => Promise<void>,
  options: Partial<LibraryOptions> & { games?: string; state?: string } = {},
): Promise<void> {
  await using root = await tempDir();
  const games = options.games ?? join(root.path, "games");
  const state = options.state ?? join(root.path, "state");
  const events = new EventLog();
  const logs: string[] = [];
  const log = createLogger({ level: "debug", sink: (line) => logs.push(line) });
  const library = new Library({
    gamesDir: games,
    stateDir: state,
    log,
    events,
    blockSize: BLOCK,
    debounceMs: 30,
    rescanIntervalMs: 60_000,
    ...options,
  });
  const ctrl = new AbortController();
  let running: Promise<void> | null = null;
  const start = async () => {
    running ??= library.run(ctrl.signal);
    await library.ready;
  };
  try {
    await fn({ games, state, library, events, logs, start });
  } finally {
    ctrl.abort();
    await running;
  }
}

const hashed = (library: Library, id: string) =>
  library.snapshot().games.find((g) => g.id === id)?.manifestHash !== undefined;

async function manifestOf(library: Library, id: string): Promise<Manifest> {
  const answer = await library.getManifest(id);
  assert(answer.ok, JSON.stringify(answer));
  const parsed = parseManifest(answer.bytes, answer.hash, { game: id, version: answer.version });
  assert(parsed.ok, JSON.stringify(parsed));
  return parsed.manifest;
}

/** Block `index` of `path` as a peer gets it: through openRun, read in one piece. */
async function readBlock(
  library: Library,
  game: string,
  path: string,
  index: number,
): Promise<{ ok: true; bytes: Uint8Array; count: number } | BlockFailure> {
  const run = library.openRun(game, path, index);
  if (!run.ok) return run;
  try {
    const bytes = await run.read(run.bytes);
    return bytes instanceof Uint8Array ? { ok: true, bytes, count: run.count } : bytes;
  } finally {
    run.close();
  }
}

/** Fetches every block of every file and checks it against the manifest. */
async function verifyAllBlocks(library: Library, id: string, manifest: Manifest): Promise<void> {
  for (const file of manifest.files) {
    for (let i = 0; i < file.blocks.length; i++) {
      const block = await readBlock(library, id, file.path, i);
      assert(block.ok, `${file.path}#${i}: ${JSON.stringify(block)}`);
      const blockSize = manifest.blockSize;
      assertEquals(block.bytes.length, Math.min(blockSize, file.size - i * blockSize));
      assertEquals(sha256Hex(block.bytes), file.blocks[i]);
    }
  }
}

Deno.test("run creates a missing games dir and resolves ready after the first scan", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await start();
    assert((await Deno.stat(games)).isDirectory);
    assertEquals(library.snapshot(), { rev: 0, games: [] });
    assertEquals(library.status().lastError, null);
  });
});

Deno.test("the snapshot offers downloaded games only; games() lists every game folder", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, {
      "b/version.ini": "2.0",
      "b/game.json": JSON.stringify({ name: "Bee", genre: "Puzzle" }),
      "a/version.ini": "1.0",
      "a/data.bin": patternBytes(40),
      "c/partial.bin": "no version.ini yet",
      "c/local/x": "installed",
      "not a game/x": "x",
    });
    await start();
    const snap = library.snapshot();
    assertEquals(snap.rev, 1);
    assertEquals(snap.games.map((g) => [g.id, g.name, g.version, g.size, g.files]), [
      ["a", "a", "1.0", 43, 2],
      ["b", "Bee", "2.0", 3 + JSON.stringify({ name: "Bee", genre: "Puzzle" }).length, 2],
    ]);
    assertEquals(snap.games[1]!.genre, "Puzzle");
    const local = library.games();
    assertEquals(local.map((g) => [g.id, g.downloaded, g.installed, g.version]), [
      ["a", true, false, "1.0"],
      ["b", true, false, "2.0"],
      ["c", false, true, null],
    ]);
    assertEquals(library.status().ignored, ["not a game"]);
    assertEquals(library.status().games, 3);
  });
});

Deno.test("hashing publishes a manifest hash whose manifest and blocks verify", async () => {
  await withLibrary(async ({ games, library, events, start }) => {
    const data = patternBytes(3 * BLOCK + 5);
    await writeFiles(games, {
      "g/version.ini": "1",
      "g/data/level.pak": data,
      "g/empty.txt": "",
    });
    const { deltas, stop } = recordDeltas(library);
    await start();
    await until(() => hashed(library, "g"), 5000, "hashing");
    stop();
    const manifest = await manifestOf(library, "g");
    assertEquals(manifest.files.map((f) => [f.path, f.size, f.blocks.length]), [
      ["data/level.pak", data.length, 4],
      ["empty.txt", 0, 0],
      ["version.ini", 1, 1],
    ]);
    await verifyAllBlocks(library, "g", manifest);
    const last = await readBlock(library, "g", "data/level.pak", 3);
    assert(last.ok);
    assertEquals(last.bytes, data.slice(3 * BLOCK));
    // Gaining a manifest hash is an update of a game that was added before.
    assertEquals(deltas.map((d) => [d.fromRev, d.toRev, d.added.length, d.updated.length]), [
      [0, 1, 1, 0],
      [1, 2, 0, 1],
    ]);
    const hash = library.snapshot().games[0]!.manifestHash!;
    const seen = events.since(0).map((e) => [e.event, e.data]);
    assertEquals(seen, [
      ["local-library-changed", { rev: 1 }],
      ["local-library-changed", { rev: 2 }],
      ["library-hashed", { game: "g", manifestHash: hash }],
    ]);
    assertEquals(library.games()[0]!.manifestHash, hash);
    assertEquals(library.status().hashing, []);
  });
});

Deno.test("getManifest and readBlock answer busy while a game is not hashed yet", async () => {
  // Without run() nothing hashes: the game stays unhashed for as long as the test needs.
  await withLibrary(async ({ games, library }) => {
    await writeFiles(games, { "g/version.ini": "1" });
    await library.rescan();
    assertEquals(library.games()[0]!.hashing, true);
    assertEquals(library.status().hashing, ["g"]);
    const manifest = await library.getManifest("g");
    assert(!manifest.ok && manifest.code === "busy" && manifest.retryAfterMs! > 0);
    const block = await readBlock(library, "g", "version.ini", 0);
    assert(!block.ok && block.code === "busy");
  });
});

Deno.test("readBlock refuses bad requests and unknown games, paths and blocks", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, {
      "g/version.ini": "1",
      "g/local/save.dat": "private",
      "g/.lanspread-staging/part": "private",
      "notyet/file.bin": "x",
    });
    await start();
    await until(() => hashed(library, "g"));
    const code = async (game: string, path: string, index: number) => {
      const answer = await readBlock(library, game, path, index);
      return answer.ok ? "ok" : answer.code;
    };
    assertEquals(await code("g", "version.ini", 0), "ok");
    for (
      const path of [
        "../g/version.ini",
        "/etc/passwd",
        "local/save.dat",
        ".lanspread-staging/part",
        "a\\b",
        "",
      ]
    ) {
      assertEquals(await code("g", path, 0), "bad-request", path);
    }
    assertEquals(await code("g", "version.ini", -1), "bad-request");
    assertEquals(await code("g", "version.ini", 0.5), "bad-request");
    assertEquals(await code("g", "version.ini", 1), "not-found");
    assertEquals(await code("g", "missing.bin", 0), "not-found");
    assertEquals(await code("other", "version.ini", 0), "not-found");
    assertEquals(await code("notyet", "file.bin", 0), "not-found");
    assertEquals((await library.getManifest("notyet")).ok, false);
    assertEquals((await library.getManifest("../g")).ok, false);
  });
});

Deno.test("a symlink out of the game folder is neither shared nor readable", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "secret.txt": "top secret", "g/version.ini": "1", "g/ok.txt": "ok" });
    await Deno.symlink(join(games, "secret.txt"), join(games, "g", "leak.txt"));
    await start();
    await until(() => hashed(library, "g"));
    const manifest = await manifestOf(library, "g");
    assertEquals(manifest.files.map((f) => f.path), ["ok.txt", "version.ini"]);
    assertEquals((await readBlock(library, "g", "leak.txt", 0)).ok, false);
    // A served file swapped for such a symlink after hashing is not read either.
    await Deno.remove(join(games, "g", "ok.txt"));
    await Deno.symlink(join(games, "secret.txt"), join(games, "g", "ok.txt"));
    const swapped = await readBlock(library, "g", "ok.txt", 0);
    assert(!swapped.ok, JSON.stringify(swapped));
  });
});

Deno.test("a file changed after hashing answers busy, then is rehashed and served anew", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "g/version.ini": "1", "g/data.bin": patternBytes(40) });
    await start();
    await until(() => hashed(library, "g"));
    const before = library.snapshot().games[0]!.manifestHash;
    await Deno.writeFile(join(games, "g", "data.bin"), patternBytes(50, 2));
    const answer = await readBlock(library, "g", "data.bin", 0);
    // Either the watcher already dropped the old manifest, or the stale file is caught.
    assert(!answer.ok && answer.code === "busy", JSON.stringify(answer));
    await until(
      () => {
        const hash = library.snapshot().games[0]?.manifestHash;
        return hash !== undefined && hash !== before;
      },
      5000,
      "rehash",
    );
    const manifest = await manifestOf(library, "g");
    assertEquals(manifest.files.find((f) => f.path === "data.bin")?.size, 50);
    await verifyAllBlocks(library, "g", manifest);
  });
});

Deno.test("files that change while being hashed restart hashing; the manifest matches the disk", async () => {
  await withLibrary(async ({ games, library, start }) => {
    // Many blocks, so that hashing takes long enough to be interrupted by the appends.
    await writeFiles(games, { "g/version.ini": "1", "g/big.bin": patternBytes(512 * 1024) });
    await start();
    const big = join(games, "g", "big.bin");
    for (let i = 0; i < 3; i++) {
      await Deno.writeFile(big, patternBytes(1024), { append: true });
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const size = (await Deno.stat(big)).size;
    // The game's size counts version.ini too.
    await until(() => library.snapshot().games[0]?.size === size + 1 && hashed(library, "g"));
    const manifest = await manifestOf(library, "g");
    assertEquals(manifest.files.find((f) => f.path === "big.bin")?.size, size);
    await verifyAllBlocks(library, "g", manifest);
  }, { blockSize: 4096 });
});

Deno.test("watching: adding, re-versioning and removing a game each deliver a delta", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await start();
    const { deltas, stop } = recordDeltas(library);
    await writeFiles(games, { "g/data.bin": "d", "g/version.ini": "1.0" });
    await until(() => deltas.some((d) => d.added.some((g) => g.id === "g")), 5000, "added");
    await until(() => hashed(library, "g"), 5000, "hashed");
    await Deno.writeTextFile(join(games, "g", "version.ini"), "1.1");
    await until(
      () => library.snapshot().games[0]?.version === "1.1" && hashed(library, "g"),
      5000,
      "re-versioned",
    );
    assert(deltas.some((d) => d.updated.some((g) => g.id === "g" && g.version === "1.1")));
    await Deno.remove(join(games, "g"), { recursive: true });
    await until(() => deltas.some((d) => d.removed.includes("g")), 5000, "removed");
    stop();
    assertEquals(library.snapshot().games, []);
    // Revisions chain without gaps.
    for (let i = 1; i < deltas.length; i++) assertEquals(deltas[i]!.fromRev, deltas[i - 1]!.toRev);
    for (const delta of deltas) assertEquals(delta.toRev, delta.fromRev + 1);
  });
});

Deno.test("while quiet the games dir is not watched; the release rescans and watches again", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await start();
    await until(() => library.watching, 5000, "watching");
    const release = library.quiet();
    const second = library.quiet();
    await until(() => !library.watching, 5000, "the watcher stops");
    await writeFiles(games, { "g/data.bin": "d", "g/version.ini": "1.0" });
    await new Promise((r) => setTimeout(r, 300)); // ten debounce periods
    assertEquals(library.games().map((g) => g.id), [], "not seen while quiet");
    release();
    release(); // a second call changes nothing: one hold is left
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(library.games().map((g) => g.id), [], "one hold left");
    assertEquals(library.watching, false);
    second();
    await until(() => library.games().some((g) => g.id === "g"), 5000, "found by the rescan");
    await until(() => library.watching, 5000, "watching again");
    await writeFiles(games, { "h/data.bin": "d", "h/version.ini": "1.0" });
    await until(() => library.games().some((g) => g.id === "h"), 5000, "the watcher sees h");
  });
});

Deno.test("changes that do not touch the snapshot view do not bump the revision", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "g/version.ini": "1" });
    await start();
    await until(() => hashed(library, "g"));
    const rev = library.rev;
    await library.rescan();
    await writeFiles(games, {
      "g/local/save.dat": "playing",
      "g/.lanspread-staging/part": "downloading",
      "other/partial.bin": "no version",
      "bad name/x": "x",
    });
    await library.rescan();
    assertEquals(library.rev, rev);
    assertEquals(library.games().find((g) => g.id === "g")?.installed, true);
    assertEquals(library.games().map((g) => g.id), ["g", "other"]);
  });
});

Deno.test("a restart over unchanged files keeps the revision and reuses the hash cache", async () => {
  await using root = await tempDir();
  const games = join(root.path, "games");
  const state = join(root.path, "state");
  await writeFiles(games, { "g/version.ini": "1", "g/data.bin": patternBytes(100) });
  let snapshot: LibrarySnapshot | undefined;
  await withLibrary(async ({ library, start }) => {
    await start();
    await until(() => hashed(library, "g"));
    snapshot = library.snapshot();
  }, { games, state });
  await withLibrary(async ({ library, logs, start }) => {
    const { deltas, stop } = recordDeltas(library);
    await start();
    stop();
    // Served from the cache during the first scan: no delta, no hashing.
    assertEquals(library.snapshot(), snapshot);
    assertEquals(deltas, []);
    assert(!logs.some((l) => l.includes("hashing g")));
  }, { games, state });
  await writeFiles(games, { "g/new.txt": "n" });
  await withLibrary(async ({ library, start }) => {
    await start();
    assertEquals(library.rev, snapshot!.rev + 1);
    await until(() => hashed(library, "g"));
    assertEquals(library.rev, snapshot!.rev + 2);
  }, { games, state });
});

Deno.test("corrupt state files are ignored with a warning", async () => {
  await using root = await tempDir();
  const games = join(root.path, "games");
  const state = join(root.path, "state");
  await writeFiles(games, { "g/version.ini": "1" });
  await writeFiles(state, { "library.json": "{corrupt", "hash-cache/g.json": "[1,2" });
  await withLibrary(async ({ library, logs, start }) => {
    await start();
    await until(() => hashed(library, "g"));
    assertEquals(library.rev, 2);
    assert(logs.some((l) => l.includes("library index is corrupt")));
    assert(logs.some((l) => l.includes("hash cache of g is corrupt")));
  }, { games, state });
});

Deno.test("an absurd stored revision restarts at a sane one with a warning", async () => {
  for (const rev of [Number.MAX_SAFE_INTEGER, 2 ** 60, -3, 1.5]) {
    await using root = await tempDir();
    const games = join(root.path, "games");
    const state = join(root.path, "state");
    await writeFiles(games, { "g/version.ini": "1" });
    await writeFiles(state, { "library.json": JSON.stringify({ v: 1, rev, games: [] }) });
    await withLibrary(async ({ library, logs, start }) => {
      await start();
      await until(() => hashed(library, "g"));
      assertEquals(library.rev, 2, String(rev));
      assert(logs.some((l) => l.includes(`library index revision ${rev} is absurd`)), logs.join());
    }, { games, state });
  }
});

Deno.test("an unreadable games dir never rejects: lastError is set, and later rescans recover", async () => {
  await using root = await tempDir();
  // A regular file where the games dir should be: unreadable as a folder, even for root.
  const games = join(root.path, "games");
  await Deno.writeTextFile(games, "not a folder");
  await withLibrary(async ({ library, start }) => {
    await start();
    assert(library.status().lastError?.includes("cannot read games dir"));
    assertEquals(library.snapshot().games, []);
    await Deno.remove(games);
    await writeFiles(games, { "g/version.ini": "1" });
    await library.rescan();
    assertEquals(library.status().lastError, null);
    assertEquals(library.snapshot().games.map((g) => g.id), ["g"]);
    // Broken again: the previous game list is kept meanwhile.
    await Deno.rename(games, games + ".moved");
    await Deno.writeTextFile(games, "not a folder");
    await library.rescan();
    assert(library.status().lastError !== null);
    assertEquals(library.snapshot().games.map((g) => g.id), ["g"]);
    assertEquals(library.games().map((g) => g.id), ["g"]);
  }, { games });
});

Deno.test("a restart over an unreadable games dir withdraws the stored games", async () => {
  await using root = await tempDir();
  const games = join(root.path, "games");
  const state = join(root.path, "state");
  await writeFiles(games, { "g/version.ini": "1" });
  await withLibrary(async ({ library, start }) => {
    await start();
    await until(() => hashed(library, "g"));
    assertEquals(library.rev, 2);
  }, { games, state });
  await Deno.rename(games, games + ".away");
  await Deno.writeTextFile(games, "not a folder");
  await withLibrary(async ({ library, start }) => {
    await start();
    assertEquals(library.snapshot(), { rev: 3, games: [] });
    assert(library.status().lastError !== null);
  }, { games, state });
});

Deno.test("setGamesDir switches folders: deltas remove the old games and add the new", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "old/version.ini": "1" });
    await start();
    const { deltas, stop } = recordDeltas(library);
    const other = games + "-other";
    try {
      await writeFiles(other, { "new/version.ini": "1" });
      await library.setGamesDir(other);
      assertEquals(library.gamesDir, other);
      assertEquals(library.snapshot().games.map((g) => g.id), ["new"]);
      assert(deltas.some((d) => d.removed.includes("old") && d.added.some((g) => g.id === "new")));
      // The new folder is watched.
      await writeFiles(other, { "newer/version.ini": "1" });
      await until(() => library.snapshot().games.some((g) => g.id === "newer"), 5000, "watch");
      const created = games + "-created";
      await library.setGamesDir(created);
      assert((await Deno.stat(created)).isDirectory);
      assertEquals(library.snapshot().games, []);
    } finally {
      stop();
      await Deno.remove(other, { recursive: true }).catch(() => {});
    }
  });
});

Deno.test("a listener that throws does not stop the others", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "g/version.ini": "1" });
    library.onChange(() => {
      throw new Error("faulty listener");
    });
    const { deltas, stop } = recordDeltas(library);
    await start();
    stop();
    assertEquals(deltas.length, 1);
  });
});

Deno.test("setGamesDir rejects a path that cannot be a folder and keeps the current one", async () => {
  await withLibrary(async ({ games, library, start }) => {
    await writeFiles(games, { "g/version.ini": "1" });
    await start();
    const file = games + ".file";
    await Deno.writeTextFile(file, "x");
    try {
      let rejected = false;
      await library.setGamesDir(join(file, "sub")).catch(() => (rejected = true));
      assert(rejected);
      assertEquals(library.gamesDir, games);
      assertEquals(library.snapshot().games.map((g) => g.id), ["g"]);
    } finally {
      await Deno.remove(file);
    }
  });
});

Deno.test("concurrent rescans all resolve, and a full scan is shared while it waits", async () => {
  await withLibrary(async ({ games, library }) => {
    await writeFiles(games, { "g/version.ini": "1" });
    const first = library.rescan();
    const second = library.rescan();
    const third = library.rescan();
    assert(second === third);
    await Promise.all([first, second, third]);
    assertEquals(library.snapshot().games.map((g) => g.id), ["g"]);
    assertEquals(library.rev, 1);
  });
});

Deno.test(modesTest(
  "a game with an unreadable file is not offered, with a warning",
  import.meta.url,
  () =>
    withLibrary(async ({ games, library, logs, start }) => {
      await writeFiles(games, { "g/version.ini": "1", "g/locked.bin": "x" });
      await Deno.chmod(join(games, "g", "locked.bin"), 0o000);
      await start();
      await until(() => library.snapshot().games.length === 0 && library.rev === 2);
      assert(logs.some((l) => l.includes("g cannot be offered")));
      assertEquals((await library.getManifest("g")).ok, false);
    }),
));

Deno.test("more games than maxGames: the first by id are offered, and status and log say so", async () => {
  await withLibrary(async ({ games, library, logs, start }) => {
    await writeFiles(games, { "c/version.ini": "1", "a/version.ini": "1", "b/version.ini": "1" });
    await start();
    assertEquals(library.snapshot().games.map((g) => g.id), ["a", "b"]);
    const note = "3 games downloaded: only the first 2 (by id) are offered to peers";
    assertEquals(library.status().notOffered, note);
    await library.rescan();
    assertEquals(logs.filter((l) => l.includes(note)).length, 1, "logged once");
    await Deno.remove(join(games, "a"), { recursive: true });
    await library.rescan();
    assertEquals(library.snapshot().games.map((g) => g.id), ["b", "c"]);
    assertEquals(library.status().notOffered, null);
  }, { maxGames: 2 });
});

Deno.test("a block reported bad that no longer matches: the file is hashed again, a new manifest", async () => {
  await using root = await tempDir();
  const games = join(root.path, "games");
  const state = join(root.path, "state");
  await writeFiles(games, { "g/version.ini": "1", "g/data.bin": patternBytes(40) });
  let before: string | undefined;
  await withLibrary(async ({ library, start }) => {
    await start();
    await until(() => hashed(library, "g"));
    before = library.snapshot().games[0]!.manifestHash;
  }, { games, state });
  // A hash cache that lies (a restored state folder): no stamp can notice.
  const cachePath = join(state, "hash-cache", "g.json");
  const cache = JSON.parse(await Deno.readTextFile(cachePath));
  cache.files.find((f: { path: string }) => f.path === "data.bin").blocks[1] = "0".repeat(64);
  await Deno.writeTextFile(cachePath, JSON.stringify(cache));
  await withLibrary(async ({ library, logs, start }) => {
    await start();
    await until(() => hashed(library, "g"));
    assert(library.snapshot().games[0]!.manifestHash !== before, "served from the lying cache");
    assertEquals(library.reportBadBlock("g", "data.bin", 1, "bravo (peer)"), { ok: true });
    await until(() => library.snapshot().games[0]?.manifestHash === before, 5000, "rehash");
    const warned = /block 1 of g\/data.bin, reported bad by bravo \(peer\), no longer matches/;
    assert(logs.some((l) => warned.test(l)), logs.join("\n"));
    // Within the interval the same file is not checked again.
    const seen = logs.length;
    assertEquals(library.reportBadBlock("g", "data.bin", 0, "bravo (peer)"), { ok: true });
    await new Promise((r) => setTimeout(r, 100));
    const later = logs.slice(seen).join("\n");
    assert(/checked less than a minute ago/.test(later) && !/matches/.test(later), later);
    assertEquals(library.reportBadBlock("g", "nope.bin", 0, "x").ok, false);
    assertEquals(library.reportBadBlock("missing", "data.bin", 0, "x").ok, false);
  }, { games, state });
});

Deno.test("a block reported bad that matches is left alone, with an info line", async () => {
  await withLibrary(async ({ games, library, logs, start }) => {
    await writeFiles(games, { "g/version.ini": "1", "g/data.bin": patternBytes(40) });
    await start();
    await until(() => hashed(library, "g"));
    const rev = library.rev;
    assertEquals(library.reportBadBlock("g", "data.bin", 3, "bravo").ok, false, "no block 3");
    library.reportBadBlock("g", "data.bin", 2, "bravo");
    await until(() => logs.some((l) => l.includes("matches its hash here")));
    assertEquals(library.rev, rev);
  });
});

Deno.test("openRun sizes a run without reading, then reads it piece by piece from one open", async () => {
  await withLibrary(async ({ games, library, start }) => {
    const data = patternBytes(3 * BLOCK + 5);
    await writeFiles(games, { "g/version.ini": "1", "g/data.bin": data, "g/other.bin": "x" });
    await start();
    await until(() => hashed(library, "g"));
    const run = library.openRun("g", "data.bin", 1, 16);
    assert(run.ok);
    assertEquals([run.count, run.bytes], [3, 2 * BLOCK + 5]);
    const first = await run.read(BLOCK);
    assert(first instanceof Uint8Array);
    assertEquals(first, data.slice(BLOCK, 2 * BLOCK));
    // The run reads the file it opened, whatever the path points at now.
    await Deno.rename(join(games, "g", "other.bin"), join(games, "g", "data.bin"));
    const rest = await run.read(BLOCK + 5);
    assert(rest instanceof Uint8Array);
    assertEquals(rest, data.slice(2 * BLOCK));
    assert(!(await run.read(1) instanceof Uint8Array), "nothing past the run");
    run.close();
    for (const [path, index] of [["data.bin", 4], ["../x", 0], ["missing.bin", 0]] as const) {
      assertEquals(library.openRun("g", path, index).ok, false, path);
    }
    // A run opened after the file changed: busy, as readBlock.
    const stale = library.openRun("g", "data.bin", 0);
    if (stale.ok) {
      const piece = await stale.read(1);
      assert(!(piece instanceof Uint8Array) && piece.code === "busy", JSON.stringify(piece));
      stale.close();
    }
  });
});
