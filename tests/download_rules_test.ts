/**
 * DownloadManager that follow their sources and refuse what cannot be right, with
 * real peer processes: a seed that re-versions a game mid-download, two
 * copies of one version with no majority, commands at shutdown, games-dir
 * changes during a download, and what cancel and damaged records leave.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { type GameSpec, tempTree, type Tree } from "./fixtures.ts";
import { HarnessError, inTree, offered, PeerProcess, startSeed } from "./peer_process.ts";
import { gameDigest } from "./tree_digest.ts";

const MiB = 1024 * 1024;

/** A seed of one 8 MiB game G, uploading at 2 MB/s: a download of it lasts seconds. */
function slowSeed(t: Tree): Promise<PeerProcess> {
  const game = { id: "G", version: "1", files: { "a.bin": 8 * MiB } };
  return startSeed(t, "seed", game, { extraArgs: ["--upload-limit=2"] });
}

/** Runs `fn` with a downloader `dl` connected to a slow seed; both stop, and the tree goes, after. */
async function withSlowSeed(fn: (t: Tree, dl: PeerProcess) => Promise<void>): Promise<void> {
  const t = await tempTree();
  const seed = await slowSeed(t);
  const dl = await PeerProcess.start(inTree(t, "dl", { connect: [seed.addr] }));
  try {
    await fn(t, dl);
  } finally {
    await dl.shutdown();
    await seed.shutdown();
    await t.cleanup();
  }
}

Deno.test({
  name:
    "the only seed re-versions the game mid-download: the download follows and ends at the new version",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const v1: GameSpec = { id: "G", version: "1", files: { "a.bin": 8 * MiB, "b.bin": 8 * MiB } };
    const seed = await startSeed(t, "seed", v1, { extraArgs: ["--upload-limit=3"] });
    const dl = await PeerProcess.start(inTree(t, "dl", { connect: [seed.addr] }));
    try {
      await offered(dl, "G", "1");
      await dl.command("download", { game: "G" });
      await dl.waitEvent("download-progress", (e) => (e.doneBytes as number) > 2 * MiB, 30_000);
      // The seed's owner puts version 2 in place: b.bin changes, a.bin stays.
      await Deno.writeFile(t.path("seed", "G", "b.bin"), new Uint8Array(8 * MiB).fill(7));
      await Deno.writeTextFile(t.path("seed", "G", "version.ini"), "2");
      const changed = await dl.waitEvent("download-version-changed", () => true, 30_000);
      assertEquals([changed.fromVersion, changed.toVersion], ["1", "2"]);
      await dl.waitEvent("download-finished", () => true, 60_000);
      assertEquals(await gameDigest(t.path("dl", "G")), await gameDigest(t.path("seed", "G")));
      const row = (await dl.games()).find((g) => g.id === "G")!;
      assertEquals(row.version, "2");
    } finally {
      await dl.shutdown();
      await seed.shutdown();
      await t.cleanup();
    }
  },
});

Deno.test({
  name:
    "two copies of one version with no majority fail the download with conflict; nothing is written",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const a = await startSeed(t, "a", { id: "G", version: "1", files: { "x.bin": 1000 } });
    const b = await startSeed(t, "b", { id: "G", version: "1", files: { "y.bin": 1000 } });
    const dl = await PeerProcess.start(inTree(t, "dl", { connect: [a.addr, b.addr] }));
    try {
      await offered(dl, "G", "1", 2);
      await dl.command("download", { game: "G" });
      const failed = await dl.waitEvent("download-failed", () => true, 30_000);
      assertEquals(failed.code, "conflict");
      assert(
        String(failed.message).includes(a.peerId) && String(failed.message).includes(b.peerId),
      );
      const left = await Array.fromAsync(Deno.readDir(t.path("dl"))).catch(() => []);
      assertEquals(left, [], "no game folder, no staging");
    } finally {
      await Promise.all([dl.shutdown(), a.shutdown(), b.shutdown()]);
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "shutdown ends a pending wait-peers at once with shutting-down, and the process exits",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peer = await PeerProcess.start(inTree(t, "p"));
    try {
      const waiting = peer.command("wait-peers", { count: 5, timeoutMs: 3_600_000 }, 20_000)
        .then(() => null, (error) => error);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const status = await peer.shutdown(15_000);
      assertEquals(status.code, 0);
      assert(Date.now() - started < 5_000, `exit took ${Date.now() - started} ms`);
      const error = await waiting;
      assert(error instanceof HarnessError, `wait-peers answered ${error}`);
      assertEquals(error.record.code, "shutting-down");
    } finally {
      await t.cleanup();
    }
  },
});

Deno.test({
  name:
    "set-game-dir is refused during a download and for a file; cancel leaves no empty game folder",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withSlowSeed(async (t, dl) => {
      await Deno.writeTextFile(t.path("a-file"), "x");
      const file = await assertRejects(
        () => dl.command("set-game-dir", { path: t.path("a-file") }),
        HarnessError,
      );
      assertEquals(file.record.code, "bad-request");
      await offered(dl, "G", "1");
      await dl.command("download", { game: "G" });
      await dl.waitEvent("download-progress", () => true, 30_000);
      const busy = await assertRejects(
        () => dl.command("set-game-dir", { path: t.path("elsewhere") }),
        HarnessError,
      );
      assertEquals(busy.record.code, "busy");
      await dl.command("cancel", { game: "G" });
      assertEquals(await Array.fromAsync(Deno.readDir(t.path("dl"))), [], "no empty G folder");
    }),
});

Deno.test({
  name:
    "while a download runs the games folder is not watched; when it ends, a game added meanwhile is found",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withSlowSeed(async (t, dl) => {
      const local = async (id: string) =>
        (await dl.games()).some((g) => g.id === id && g.downloaded === true);
      await offered(dl, "G", "1");
      await dl.command("download", { game: "G" });
      await dl.waitEvent("download-begin", () => true, 30_000);
      await Deno.mkdir(t.path("dl", "New"));
      await Deno.writeTextFile(t.path("dl", "New", "version.ini"), "1");
      // The watcher would see it within its 250 ms debounce; the 30 s rescan is far off.
      await new Promise((r) => setTimeout(r, 1_500));
      assertEquals(await local("New"), false, "not watched while the download runs");
      assert(
        !dl.records.some((r) => r.event === "download-finished"),
        "the download outlasts that",
      );
      await dl.waitEvent("download-finished", () => true, 60_000);
      await dl.until(
        async () => (await local("New")) || undefined,
        5_000,
        "found after the download",
      );
    }),
});

Deno.test({
  name: "a damaged progress record is dropped with its staged data at the next start",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const seed = await slowSeed(t);
    let dl = await PeerProcess.start(inTree(t, "dl", { connect: [seed.addr] }));
    try {
      await offered(dl, "G", "1");
      await dl.command("download", { game: "G" });
      await dl.waitEvent("download-begin", () => true, 30_000);
      await dl.shutdown();
      assert(await Deno.stat(t.path("dl", "G", ".lanspread-download")).then(() => true));
      await Deno.writeTextFile(t.path("dl-state", "downloads", "G.json"), "{ damaged");
      await seed.shutdown();
      dl = await PeerProcess.start(inTree(t, "dl"));
      await dl.until(
        async () => (await Array.fromAsync(Deno.readDir(t.path("dl")))).length === 0 || undefined,
        10_000,
        "staged data and the empty game folder removed",
      );
      assert(/cannot resume download G\.json/.test(dl.stderr), dl.tail());
    } finally {
      await dl.shutdown();
      await seed.shutdown();
      await t.cleanup();
    }
  },
});
