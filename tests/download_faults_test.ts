/**
 * DownloadManager against a full disk and against a malicious peer.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { canMountTmpfs, fileBytes, type GameSpec, run, tempTree, writeGame } from "./fixtures.ts";
import { PeerProcess } from "./peer_process.ts";
import { EventLog } from "../src/common/events.ts";
import { silentLogger } from "../src/common/log.ts";
import { DEFAULT_PARTY_KEY } from "../src/trust/party.ts";
import { member } from "./member.ts";
import { LIMITS, PROTOCOL_VERSION } from "../src/wire/protocol.ts";
import type { WireGame } from "../src/wire/library_schemas.ts";
import { PeerManager } from "../src/peer/sync/manager.ts";
import type { LibraryPort } from "../src/peer/sync/serve.ts";
import { sha256Hex } from "../src/peer/library/mod.ts";

const MiB = 1024 * 1024;

const skipDiskFull = canMountTmpfs();
if (skipDiskFull) console.error(`skipping the disk-full download test: ${skipDiskFull}`);

Deno.test({
  name: "a full disk fails the download with disk-full; the old version stays whole",
  ignore: skipDiskFull !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const small = t.path("small");
    await Deno.mkdir(small);
    await run("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", small);
    const old: GameSpec = { id: "Big", version: "1.0", files: { "data.bin": 2 * MiB } };
    const next: GameSpec = {
      id: "Big",
      version: "2.0",
      files: { "data.bin": 6 * MiB, "more.bin": 9 * MiB },
    };
    const peers: PeerProcess[] = [];
    try {
      await writeGame(join(small, "games"), old);
      await writeGame(t.path("seed"), next);
      const seed = await PeerProcess.start({
        name: "seed",
        gamesDir: t.path("seed"),
        stateDir: t.path("seed-state"),
      });
      peers.push(seed);
      const dl = await PeerProcess.start({
        name: "dl",
        gamesDir: join(small, "games"),
        stateDir: t.path("dl-state"),
        connect: [seed.addr],
      });
      peers.push(dl);
      await seed.waitEvent("library-hashed", () => true, 20_000);
      await dl.until(
        async () => {
          const g = (await dl.games()).find((g) => g.id === "Big");
          return g?.latestVersion === "2.0" && (g.sources as string[]).length ? true : undefined;
        },
        15_000,
        "seed offering 2.0",
      );
      await dl.command("download", { game: "Big" });
      const failed = await dl.waitEvent("download-failed", () => true, 30_000);
      assertEquals(failed.code, "disk-full");
      const dir = join(small, "games", "Big");
      assertEquals(await Deno.readTextFile(join(dir, "version.ini")), "1.0");
      assertEquals(await Deno.readFile(join(dir, "data.bin")), fileBytes("data.bin", 2 * MiB));
      const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
      assertEquals(names, ["data.bin", "version.ini"], "partial files removed");
      assertEquals((await dl.command("status")).peerId, dl.peerId, "still running");
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await run("umount", small).catch(() => {});
      await t.cleanup();
    }
  },
});

/** Canonical manifest bytes written by hand, so they can say what no honest peer would. */
function evilManifest(game: string, files: { path: string; size: number; blocks: string[] }[]) {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ game, version: "1", blockSize: LIMITS.blockSize, files }),
  );
  return { bytes, hash: sha256Hex(bytes) };
}

Deno.test({
  name: "a malicious peer's manifest with ../ paths or absurd sizes is rejected before any write",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const hello = sha256Hex(new TextEncoder().encode("hello"));
    const manifests: Record<string, ReturnType<typeof evilManifest>> = {
      Escape: evilManifest("Escape", [{ path: "../../escaped.txt", size: 5, blocks: [hello] }]),
      Huge: evilManifest("Huge", [{ path: "huge.bin", size: 2 ** 60, blocks: [hello] }]),
      Local: evilManifest("Local", [{ path: "local/save.dat", size: 5, blocks: [hello] }]),
    };
    const games: WireGame[] = Object.entries(manifests).map(([id, m]) => ({
      id,
      name: id,
      version: "1",
      size: 5,
      files: 1,
      manifestHash: m.hash,
    }));
    const library: LibraryPort = {
      snapshot: () => ({ rev: 1, games }),
      onChange: () => () => {},
      getManifest: (game) => {
        const m = manifests[game]!;
        return Promise.resolve({ ok: true, hash: m.hash, version: "1", bytes: m.bytes });
      },
      openRun: () => ({
        ok: true,
        count: 1,
        bytes: 5,
        read: () => Promise.resolve(new TextEncoder().encode("hello")),
        close: () => {},
      }),
      reportBadBlock: () => ({ ok: true }),
    };
    const { party, identity, transport } = await member(t.path("evil-state"), DEFAULT_PARTY_KEY);
    const evil = new PeerManager({
      local: {
        peerId: identity.peerId,
        name: "evil",
        addr: `127.0.0.1:${transport.addr.port}`,
        protocolVersion: PROTOCOL_VERSION,
        party,
        snapshot: () => library.snapshot(),
      },
      transport,
      library,
      events: new EventLog(),
      log: silentLogger,
    });
    const stop = new AbortController();
    const serving = evil.run(stop.signal).catch(() => {});
    const dl = await PeerProcess.start({
      name: "dl",
      gamesDir: t.path("dl", "games"),
      stateDir: t.path("dl-state"),
      connect: [`127.0.0.1:${transport.addr.port}`],
    });
    try {
      await dl.command("wait-peers", { count: 1, timeoutMs: 10_000 });
      for (const game of Object.keys(manifests)) {
        const mark = dl.records.length;
        await dl.command("download", { game });
        const failed = await dl.waitEvent("download-failed", (e) => e.game === game, 10_000, mark);
        assertEquals(failed.code, "bad-manifest", game);
        const dropped = await dl.waitEvent(
          "download-source-dropped",
          (e) => e.game === game,
          1,
          mark,
        );
        assertEquals(dropped.peerId, identity.peerId);
        assert(/invalid manifest/.test(String(dropped.reason)), String(dropped.reason));
      }
      // Nothing was written: no game folders, nothing beside the games dir.
      assertEquals(await Array.fromAsync(Deno.readDir(t.path("dl", "games"))), []);
      assertEquals((await Array.fromAsync(Deno.readDir(t.path("dl")))).map((e) => e.name), [
        "games",
      ]);
      await assertNoFile(t.path("escaped.txt"));
    } finally {
      await dl.shutdown();
      await evil.goodbyeAll();
      stop.abort();
      transport.close();
      await serving;
      await t.cleanup();
    }
  },
});

async function assertNoFile(path: string): Promise<void> {
  const found = await Deno.stat(path).then(() => true, () => false);
  assert(!found, `${path} must not exist`);
}
