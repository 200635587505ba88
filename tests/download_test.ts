/**
 * Swarm downloads between real peer processes on loopback: many sources,
 * faults, crashes, cancels. Sources are slowed with --upload-limit so a
 * fault can land in the middle of a transfer.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  fileBytes,
  type GameSpec,
  lyingHashCache,
  tempTree,
  type Tree,
  writeGame,
} from "./fixtures.ts";
import { HarnessError, type HarnessRecord, inTree, PeerProcess } from "./peer_process.ts";

const MiB = 1024 * 1024;
const GAME: GameSpec = {
  id: "Big",
  version: "2.0",
  name: "Big Game",
  files: {
    "data/pak0.pak": 9 * MiB + 123,
    "data/pak1.pak": 6 * MiB,
    "bin/game.exe": 700_000,
    "readme.txt": 2_000,
    "empty.cfg": 0,
  },
};

/**
 * Starts `names` as seeds of GAME, slowed to `limit` MB/s each (a number for
 * all, or one per seed, undefined = unlimited), and a downloader.
 */
async function swarm(
  t: Tree,
  names: string[],
  limit?: number | (number | undefined)[],
  downloader = "dl",
  prepare?: (name: string) => Promise<void>,
) {
  const seeds: PeerProcess[] = [];
  for (const [i, name] of names.entries()) {
    await writeGame(t.path(name), GAME);
    await prepare?.(name);
    const cap = Array.isArray(limit) ? limit[i] : limit;
    seeds.push(
      await PeerProcess.start(inTree(t, name, { extraArgs: cap ? [`--upload-limit=${cap}`] : [] })),
    );
  }
  const dl = await PeerProcess.start(dlOptions(t, seeds, downloader));
  await dl.command("wait-peers", { count: seeds.length, timeoutMs: 15_000 });
  for (const seed of seeds) {
    await seed.waitEvent("library-hashed", (e) => e.game === GAME.id, 30_000);
  }
  await dl.until(
    async () => {
      const row = (await dl.games()).find((g) => g.id === GAME.id);
      return row?.sources && (row.sources as string[]).length === seeds.length ? true : undefined;
    },
    15_000,
    "every seed offering the hashed game",
  );
  return { seeds, dl };
}

function dlOptions(t: Tree, seeds: PeerProcess[], name = "dl") {
  return inTree(t, name, { connect: seeds.map((s) => s.addr) });
}

/** Every file of GAME in `gamesDir` equals the seed's copy. */
async function assertSameGame(gamesDir: string, seedDir: string): Promise<void> {
  for (const path of [...Object.keys(GAME.files!), "version.ini", "game.json"]) {
    const [got, want] = await Promise.all([
      Deno.readFile(join(gamesDir, GAME.id, path)),
      Deno.readFile(join(seedDir, GAME.id, path)),
    ]);
    assert(got.length === want.length && got.every((b, i) => b === want[i]), `${path} differs`);
  }
  const leftovers = await Array.fromAsync(Deno.readDir(join(gamesDir, GAME.id)));
  assert(!leftovers.some((e) => e.name.startsWith(".lanspread")), "staging removed");
}

function events(peer: PeerProcess, name: string, since = 0): HarnessRecord[] {
  return peer.records.slice(since).filter((r) => r.type === "event" && r.event === name);
}

async function stopAll(peers: (PeerProcess | null)[], t: Tree) {
  await Promise.all(peers.map((p) => p?.shutdown()));
  await t.cleanup();
}

Deno.test({
  name: "a game downloads from three peers at once, verified, with begin, progress and one finish",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const { seeds, dl } = await swarm(t, ["alpha", "bravo", "charlie"], 8);
    try {
      const started = await dl.command("download", { game: GAME.id });
      assertEquals(started.version, "2.0");
      assertEquals((started.sources as string[]).length, 3);
      const done = await dl.waitEvent("download-finished", (e) => e.game === GAME.id, 60_000);
      const metadata = "2.0".length + JSON.stringify({ name: "Big Game" }).length;
      const sizes = Object.values(GAME.files!).reduce((a, b) => a + b, 0);
      assertEquals(done.bytes, sizes + metadata);
      const begin = events(dl, "download-begin")[0]!;
      assertEquals((begin.sources as string[]).sort(), seeds.map((s) => s.peerId).sort());
      const progress = events(dl, "download-progress");
      assert(progress.length >= 1, "progress reported");
      assert(progress.some((p) => (p.activePeers as number) >= 2), "several peers at once");
      assertEquals(events(dl, "download-failed").length, 0);
      assertEquals(events(dl, "download-finished").length, 1);
      await assertSameGame(t.path("dl"), t.path("alpha"));
      const row = (await dl.games()).find((g) => g.id === GAME.id)!;
      assertEquals([row.downloaded, row.version, row.downloading], [true, "2.0", false]);
      // Offered at once with the seeds' manifest, without reading the files again.
      const seedHash = (await seeds[0]!.waitEvent("library-hashed")).manifestHash;
      const ownHash = await dl.waitEvent("library-hashed", (e) => e.game === GAME.id, 10_000);
      assertEquals(ownHash.manifestHash, seedHash);
      assert(!/hashing Big/.test(dl.stderr), "verified blocks are not hashed again");
      // The seeds now see the downloader as one more source.
      await seeds[0]!.until(
        async () => {
          const g = (await seeds[0]!.games()).find((g) => g.id === GAME.id);
          return (g?.sources as string[] | undefined)?.includes(dl.peerId) ? true : undefined;
        },
        15_000,
        "downloader offering the game",
      );
    } finally {
      await stopAll([...seeds, dl], t);
    }
  },
});

Deno.test({
  name: "no source: download is refused at once with a clear error",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const dl = await PeerProcess.start(dlOptions(t, []));
    try {
      const error = await assertRejects(
        () => dl.command("download", { game: "Nope" }),
        HarnessError,
      );
      assertEquals(error.record.code, "not-found");
      const bad = await assertRejects(() => dl.command("download", { game: "../x" }), HarnessError);
      assertEquals(bad.record.code, "bad-request");
    } finally {
      await stopAll([dl], t);
    }
  },
});

Deno.test({
  name: "a source killed mid-download: the others finish it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const { seeds, dl } = await swarm(t, ["alpha", "bravo", "charlie"], 4);
    try {
      await dl.command("download", { game: GAME.id });
      await dl.waitEvent("download-progress", (e) => (e.doneBytes as number) > 2 * MiB, 30_000);
      await seeds[1]!.kill("SIGKILL");
      await dl.waitEvent("download-finished", () => true, 90_000);
      await assertSameGame(t.path("dl"), t.path("alpha"));
    } finally {
      await stopAll([...seeds, dl], t);
    }
  },
});

Deno.test({
  name:
    "a source serving corrupted blocks is caught, told, and dropped or re-hashed; the result is intact",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    // Mallory's copy is corrupt behind its hash cache's back (a cache that claims the honest
    // hashes for the corrupt file as it is: no stamp can tell), so it offers the honest manifest.
    const corrupt = async (name: string) => {
      if (name !== "mallory") return;
      const path = join(t.path("mallory"), GAME.id, "data", "pak0.pak");
      const bytes = await Deno.readFile(path);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = bytes[i]! ^ 0x5a;
      await Deno.writeFile(path, bytes);
      await lyingHashCache(t.path("mallory-state"), t.path("mallory"), GAME.id, t.path("alpha"));
    };
    // Mallory is the fastest, so it is asked for plenty before the others finish.
    const limits = [2, 2, undefined];
    const { seeds, dl } = await swarm(t, ["alpha", "bravo", "mallory"], limits, "dl", corrupt);
    try {
      const mallory = seeds[2]!;
      const honest = (await seeds[0]!.waitEvent("library-hashed")).manifestHash;
      await dl.command("download", { game: GAME.id });
      await dl.waitEvent("download-finished", () => true, 90_000);
      // Told of a bad block, mallory reads it again and hashes its file anew: it then offers
      // another manifest and leaves the swarm, unless two bad answers dropped it first.
      const dropped = events(dl, "download-source-dropped").map((e) => e.peerId);
      const rehashed = await mallory.waitEvent(
        "library-hashed",
        (e) => e.manifestHash !== honest,
        10_000,
      ).then(() => true, () => false);
      assert(dropped.includes(mallory.peerId) || rehashed, "mallory was neither dropped nor told");
      assert(dropped.every((id) => id === mallory.peerId), `only mallory dropped: ${dropped}`);
      assert(rehashed, "mallory re-checked its file once told of the bad block");
      await assertSameGame(t.path("dl"), t.path("alpha"));
    } finally {
      await stopAll([...seeds, dl], t);
    }
  },
});

Deno.test({
  name: "a downloader killed with SIGKILL resumes after restart without refetching verified blocks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const { seeds, dl } = await swarm(t, ["alpha", "bravo"], 4);
    let again: PeerProcess | null = null;
    try {
      await dl.command("download", { game: GAME.id });
      const mid = await dl.waitEvent(
        "download-progress",
        (e) => (e.doneBytes as number) > 5 * MiB,
        60_000,
      );
      await dl.kill("SIGKILL");
      const seen = events(dl, "download-progress").at(-1)!.doneBytes as number;
      again = await PeerProcess.start(dlOptions(t, seeds));
      const begin = await again.waitEvent("download-begin", () => true, 20_000);
      const resumed = begin.resumedBytes as number;
      // Refetched: what was verified before the kill but not yet recorded.
      const window = 16 * MiB; // one scheduler window per source at most
      assert(resumed >= (mid.doneBytes as number) - 2 * window, `resumed ${resumed} of ${seen}`);
      assert(seen - resumed <= 2 * window, `refetching ${seen - resumed} bytes`);
      await again.waitEvent("download-finished", () => true, 90_000);
      await assertSameGame(t.path("dl"), t.path("alpha"));
    } finally {
      await stopAll([...seeds, dl, again], t);
    }
  },
});

Deno.test({
  name: "all sources gone: stalled; one returns: the download finishes by itself",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const { seeds, dl } = await swarm(t, ["alpha", "bravo"], 4);
    let back: PeerProcess | null = null;
    try {
      await dl.command("download", { game: GAME.id });
      await dl.waitEvent("download-progress", (e) => (e.doneBytes as number) > 2 * MiB, 30_000);
      await Promise.all(seeds.map((s) => s.kill("SIGTERM")));
      await dl.waitEvent("download-stalled", () => true, 10_000);
      assertEquals(events(dl, "download-failed").length, 0);
      back = await PeerProcess.start(inTree(t, "alpha", { extraArgs: ["--upload-limit=50"] }));
      await dl.command("connect", { addr: back.addr });
      await dl.waitEvent("download-resumed", () => true, 20_000);
      await dl.waitEvent("download-finished", () => true, 60_000);
      await assertSameGame(t.path("dl"), t.path("alpha"));
    } finally {
      await stopAll([...seeds, dl, back], t);
    }
  },
});

Deno.test({
  name: "cancel during an update leaves the old version complete and removes the partial files",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const old: GameSpec = {
      id: GAME.id,
      version: "1.0",
      files: { "data/pak0.pak": 3 * MiB, "old.txt": 10 },
    };
    await writeGame(t.path("dl"), old);
    const { seeds, dl } = await swarm(t, ["alpha"], 2);
    try {
      await dl.command("download", { game: GAME.id });
      await dl.waitEvent("download-progress", (e) => (e.doneBytes as number) > 0, 30_000);
      await dl.command("cancel", { game: GAME.id });
      await dl.waitEvent("download-cancelled", () => true, 10_000);
      assertEquals(
        events(dl, "download-failed").length + events(dl, "download-finished").length,
        0,
      );
      const dir = join(t.path("dl"), GAME.id);
      assertEquals(await Deno.readTextFile(join(dir, "version.ini")), "1.0");
      assertEquals((await Deno.stat(join(dir, "data", "pak0.pak"))).size, 3 * MiB);
      assertEquals(await Deno.readFile(join(dir, "old.txt")), fileBytes("old.txt", 10));
      const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
      assertEquals(names, ["data", "old.txt", "version.ini"]);
      const row = (await dl.games()).find((g) => g.id === GAME.id)!;
      assertEquals([row.version, row.downloading], ["1.0", false]);
    } finally {
      await stopAll([...seeds, dl], t);
    }
  },
});

Deno.test({
  name: "a peer keeps serving its other games while it downloads",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGame(t.path("dl"), { id: "Own", version: "1.0", files: { "own.bin": 3 * MiB } });
    const { seeds, dl } = await swarm(t, ["alpha"], 2);
    const [alpha] = seeds as [PeerProcess];
    try {
      await dl.command("download", { game: GAME.id });
      await dl.waitEvent("download-progress", () => true, 30_000);
      await alpha.until(
        async () => {
          const own = (await alpha.games()).find((g) => g.id === "Own");
          return (own?.sources as string[] | undefined)?.length ? true : undefined;
        },
        15_000,
        "the downloader's own game offered",
      );
      await alpha.command("download", { game: "Own" });
      await alpha.waitEvent("download-finished", (e) => e.game === "Own", 30_000);
      assertEquals(events(dl, "download-finished").length, 0, "served while still downloading");
      assertEquals(
        await Deno.readFile(join(t.path("alpha"), "Own", "own.bin")),
        fileBytes("own.bin", 3 * MiB),
      );
      await dl.waitEvent("download-finished", () => true, 60_000);
    } finally {
      await stopAll([...seeds, dl], t);
    }
  },
});
