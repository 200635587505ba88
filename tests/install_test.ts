/**
 * Installs between real peer processes: download {install:true} of every
 * archive format from three seeds, an update that keeps a save, uninstall
 * and remove, play, and what bad archives get.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { canMountTmpfs, run, tempTree } from "./fixtures.ts";
import { HarnessError, type HarnessRecord, inTree, PeerProcess } from "./peer_process.ts";
import { writeZip } from "./fixtures/archives.ts";
import {
  archiveGame,
  type Digest,
  exists,
  multiVolumeRarGame,
  rarFixtureGame,
  sha256,
  solidRarGame,
  sorted,
  treeDigest,
  versionFiles,
} from "./install_fixtures.ts";

const rowOf = async (peer: PeerProcess, id: string) =>
  (await peer.games()).find((g) => g.id === id);

/** Events of `peer` about `game` from record index `since`, by name (progress dropped). */
function eventsOf(peer: PeerProcess, game: string, since = 0): string[] {
  return peer.records.slice(since)
    .filter((r) => r.type === "event" && r.game === game && r.event !== "install-progress")
    .filter((r) => String(r.event).startsWith("install") || r.event === "operation-changed")
    .map((r) => r.event === "operation-changed" ? `op:${r.operation}` : String(r.event));
}

Deno.test({
  name:
    "a fourth peer downloads with install:true a zip, a tar.gz, a solid RAR 5 and a multi-volume RAR 4 game from three seeds; every installed file has its hash",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await tempTree();
    const peers: PeerProcess[] = [];
    try {
      const expected: Record<string, Digest> = {};
      for (const seed of ["s1", "s2", "s3"]) {
        expected.Zipped = await archiveGame(t.path(seed), "Zipped", "1", "zip", versionFiles(1));
        expected.Tarred = await archiveGame(t.path(seed), "Tarred", "1", "tar.gz", versionFiles(2));
        expected.Solid = await solidRarGame(t.path(seed), "Solid");
        expected.Volumes = await multiVolumeRarGame(t.path(seed), "Volumes");
        peers.push(await PeerProcess.start(inTree(t, seed)));
      }
      const seeds = [...peers];
      const dl = await PeerProcess.start(inTree(t, "dl", { connect: seeds.map((s) => s.addr) }));
      peers.push(dl);
      await dl.command("wait-peers", { count: 3, timeoutMs: 15_000 });
      const games = Object.keys(expected);
      await dl.until(
        async () => {
          const rows = await dl.games();
          const ready = games.every((id) =>
            (rows.find((g) => g.id === id)?.sources as string[] | undefined)?.length === 3
          );
          return ready || undefined;
        },
        30_000,
        "every seed offering every game",
      );
      for (const game of games) await dl.command("download", { game, install: true });
      for (const game of games) {
        const done = await dl.waitRecord(
          (r) => r.type === "event" && r.game === game && String(r.event).startsWith("install-f"),
          60_000,
          `install of ${game}`,
        );
        assertEquals(done.event, "install-finished", JSON.stringify(done));
        assertEquals(await treeDigest(t.path("dl", game, "local")), sorted(expected[game]!), game);
        assertEquals(
          eventsOf(dl, game),
          ["op:download", "op:install", "install-begin", "op:null", "install-finished"],
          game,
        );
        assert(!(await exists(t.path("dl", game, ".lanspread-install"))), game);
      }
      for (const row of (await dl.games()).filter((g) => games.includes(g.id as string))) {
        assertEquals([row.installed, row.installedVersion, row.version], [true, "1", "1"]);
      }
      // The seeds learn from the downloader's snapshot that it installed them.
      await seeds[0]!.until(
        async () => {
          const rows = await seeds[0]!.games();
          return games.every((id) => rows.find((g) => g.id === id)?.installedCount === 1) ||
            undefined;
        },
        15_000,
        "the seed seeing one peer with each game installed",
      );
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name:
    "an update from 1 to 2 keeps the save the game wrote; uninstall keeps the downloads; remove is refused while installed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await tempTree();
    const peers: PeerProcess[] = [];
    try {
      await archiveGame(t.path("seed"), "Quake", "1", "zip", versionFiles(1));
      const seed = await PeerProcess.start(inTree(t, "seed"));
      peers.push(seed);
      const player = await PeerProcess.start(inTree(t, "player", { connect: [seed.addr] }));
      peers.push(player);
      await player.until(
        async () => (await rowOf(player, "Quake"))?.sources ? true : undefined,
        15_000,
        "offer",
      );
      await player.until(
        async () => ((await rowOf(player, "Quake"))?.sources as string[]).length > 0 || undefined,
        15_000,
        "a source for Quake",
      );
      await player.command("download", { game: "Quake", install: true });
      await player.waitEvent("install-finished", (e) => e.game === "Quake", 60_000);
      const local = t.path("player", "Quake", "local");
      // The game writes a save and a config of its own; the player plays once.
      await Deno.mkdir(join(local, "saves"));
      await Deno.writeTextFile(join(local, "saves/slot1.sav"), "level 7, 99 health");
      const played = await player.command("play", { game: "Quake" });
      assert(typeof played.pid === "number");
      await player.waitEvent("game-exited", (e) => e.game === "Quake", 10_000);
      assertEquals(await Deno.readTextFile(join(local, "started.txt")), "started\n");

      const v2 = await archiveGame(t.path("seed"), "Quake", "2", "zip", versionFiles(2, 2_000_000));
      await player.until(
        async () => (await rowOf(player, "Quake"))?.latestVersion === "2" || undefined,
        20_000,
        "version 2 offered",
      );
      const since = player.records.length;
      await player.command("download", { game: "Quake", install: true });
      const busy = await assertRejects(
        () => player.command("uninstall", { game: "Quake" }),
        HarnessError,
      )
        .catch(() => null);
      if (busy) assertEquals(busy.record.code, "busy");
      const done = await player.waitEvent(
        "install-finished",
        (e) => e.game === "Quake",
        60_000,
        since,
      );
      assertEquals(done.version, "2");
      assertEquals(eventsOf(player, "Quake", since), [
        "op:download",
        "op:update",
        "install-begin",
        "op:null",
        "install-finished",
      ]);
      const after = await treeDigest(local);
      assertEquals(
        after,
        sorted({
          ...v2,
          "saves/slot1.sav": sha256(new TextEncoder().encode("level 7, 99 health")),
          // started.txt is the game's own file too: written by the game, not by the install.
          "started.txt": sha256(new TextEncoder().encode("started\n")),
        }),
      );
      const row = await rowOf(player, "Quake");
      assertEquals([row?.version, row?.installedVersion, row?.playable], ["2", "2", true]);

      const refused = await assertRejects(
        () => player.command("remove", { game: "Quake" }),
        HarnessError,
      );
      assertEquals(refused.record.code, "installed");
      await player.command("uninstall", { game: "Quake" });
      await player.waitEvent("uninstall-finished", (e) => e.game === "Quake");
      assert(!(await exists(local)));
      assert(await exists(t.path("player", "Quake", "game.zip")), "the download stays");
      const uninstalled = await rowOf(player, "Quake");
      assertEquals(
        [uninstalled?.installed, uninstalled?.installedVersion, uninstalled?.downloaded],
        [false, null, true],
      );
      const notInstalled = await assertRejects(
        () => player.command("uninstall", { game: "Quake" }),
        HarnessError,
      );
      assertEquals(notInstalled.record.code, "not-installed");

      await player.command("remove", { game: "Quake" });
      await player.waitEvent("remove-finished", (e) => e.game === "Quake");
      assert(!(await exists(t.path("player", "Quake"))), "the game folder is gone");
      assert(
        !(await exists(t.path("player-state", "downloaded", "Quake.json"))),
        "download record forgotten",
      );
      const removed = await rowOf(player, "Quake");
      assertEquals([removed?.downloaded, removed?.latestVersion], [false, "2"]);
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

/** Installs `game` expecting an error; returns its code after checking the events. */
async function refusedInstall(peer: PeerProcess, game: string): Promise<string> {
  const since = peer.records.length;
  const error = await assertRejects(() => peer.command("install", { game }, 30_000), HarnessError);
  const failed = await peer.waitEvent("install-failed", (e) => e.game === game, 5_000, since);
  assertEquals(failed.code, error.record.code);
  return String(error.record.code);
}

Deno.test({
  name:
    "bad archives are refused with nothing written: ../ entry, zip bomb, encrypted RAR, truncated zip; an installed version stays whole",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await tempTree();
    const games = t.path("p");
    let peer: PeerProcess | null = null;
    try {
      const v1 = await archiveGame(games, "Slip", "1", "zip", versionFiles(1, 100_000));
      await Deno.mkdir(join(games, "Bomb"));
      await Deno.writeTextFile(join(games, "Bomb/version.ini"), "1");
      writeZip(join(games, "Bomb/bomb.zip"), [{
        name: "zeros.bin",
        data: new Uint8Array(64 << 20),
      }], { level: 9 });
      await rarFixtureGame(games, "Locked", "test_read_format_rar5_encrypted.rar");
      await archiveGame(games, "Cut", "1", "zip", versionFiles(3, 500_000));
      const zip = await Deno.readFile(join(games, "Cut/game.zip"));
      await Deno.writeFile(join(games, "Cut/game.zip"), zip.subarray(0, zip.length - 100_000));
      peer = await PeerProcess.start(inTree(t, "p"));
      await peer.command("install", { game: "Slip" });
      // Version 2 of Slip has an entry that would land outside local/.
      await Deno.writeTextFile(join(games, "Slip/version.ini"), "2");
      await Deno.remove(join(games, "Slip/game.zip"));
      writeZip(join(games, "Slip/game.zip"), [
        { name: "fine.txt", data: new TextEncoder().encode("fine") },
        { name: "../../escaped.txt", data: new TextEncoder().encode("gotcha") },
      ]);
      await peer.until(
        async () => (await rowOf(peer!, "Slip"))?.version === "2" || undefined,
        10_000,
        "v2",
      );
      const slipSince = peer.records.length;
      assertEquals(await refusedInstall(peer, "Slip"), "unsafe-archive");
      const slipFailed = await peer.waitEvent(
        "install-failed",
        (e) => e.game === "Slip",
        1_000,
        slipSince,
      );
      assert(String(slipFailed.message).includes("escaped.txt"), "names the entry");
      assertEquals(await refusedInstall(peer, "Bomb"), "too-large");
      assertEquals(await refusedInstall(peer, "Locked"), "password-required");
      assertEquals(await refusedInstall(peer, "Cut"), "corrupt-archive");
      assertEquals(await treeDigest(join(games, "Slip/local")), v1, "the old version stays whole");
      assertEquals((await rowOf(peer, "Slip"))?.installedVersion, "1");
      assert(!(await exists(t.path("escaped.txt"))) && !(await exists(join(games, "escaped.txt"))));
      for (const game of ["Bomb", "Locked", "Cut"]) {
        assert(!(await exists(join(games, game, "local"))), `${game}: local/`);
      }
      for (const game of ["Slip", "Bomb", "Locked", "Cut"]) {
        assert(!(await exists(join(games, game, ".lanspread-install"))), `${game}: staging`);
      }
      const missing = await assertRejects(
        () => peer!.command("install", { game: "Nope" }),
        HarnessError,
      );
      assertEquals(missing.record.code, "not-downloaded");
    } finally {
      await peer?.shutdown();
      await t.cleanup();
    }
  },
});

const skipTmpfs = canMountTmpfs();
if (skipTmpfs) console.error(`skipping the disk-full install test: ${skipTmpfs}`);

Deno.test({
  name: "a disk too small for the extraction gives disk-full and the old version intact",
  ignore: skipTmpfs !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await tempTree();
    const small = t.path("small");
    await Deno.mkdir(small);
    await run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", small);
    let peer: PeerProcess | null = null;
    try {
      const games = join(small, "games");
      const v1 = await archiveGame(games, "Big", "1", "zip", versionFiles(1, 1_000_000));
      peer = await PeerProcess.start({ name: "p", gamesDir: games, stateDir: t.path("state") });
      await peer.command("install", { game: "Big" });
      await archiveGame(games, "Big", "2", "rar5-stored", versionFiles(2, 8_000_000));
      await peer.until(
        async () => (await rowOf(peer!, "Big"))?.version === "2" || undefined,
        10_000,
        "v2",
      );
      assertEquals(await refusedInstall(peer, "Big"), "disk-full");
      assertEquals(await treeDigest(join(games, "Big/local")), v1);
      assert(!(await exists(join(games, "Big/.lanspread-install"))));
      assertEquals((await rowOf(peer, "Big"))?.installedVersion, "1");
    } finally {
      await peer?.shutdown();
      await run("umount", small).catch(() => {});
      await t.cleanup();
    }
  },
});

export type { HarnessRecord };
