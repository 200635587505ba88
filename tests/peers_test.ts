/**
 * Three real peer processes (alpha, bravo, charlie) on loopback with
 * ephemeral ports and direct connect, each with its own fixture library.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { tempTree, writeGame } from "./fixtures.ts";
import { HarnessError, type HarnessRecord, inTree, PeerProcess } from "./peer_process.ts";

type Row = Record<string, unknown>;

async function startTrio(t: Awaited<ReturnType<typeof tempTree>>) {
  await writeGame(t.path("alpha"), { id: "Quake", version: "1.0" });
  await writeGame(t.path("alpha"), { id: "Shared", version: "1.0", files: { "s.bin": 5000 } });
  await writeGame(t.path("bravo"), { id: "Doom", version: "1.9", name: "DOOM" });
  await writeGame(t.path("bravo"), { id: "Shared", version: "1.0", files: { "s.bin": 5000 } });
  await writeGame(t.path("charlie"), { id: "Unreal", version: "2.0" });
  await writeGame(t.path("charlie"), { id: "Shared", version: "1.0", files: { "s.bin": 5000 } });
  const opts = (name: string, connect: string[] = []) => inTree(t, name, { connect });
  const alpha = await PeerProcess.start(opts("alpha"));
  const bravo = await PeerProcess.start(opts("bravo", [alpha.addr]));
  const charlie = await PeerProcess.start(opts("charlie", [alpha.addr, bravo.addr]));
  return { alpha, bravo, charlie, opts };
}

const byId = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.id as string, r]));

/** Polls `peer`'s list-games until `check` holds for the row of `game` (undefined = absent). */
function gameRow(peer: PeerProcess, game: string, check: (row: Row | undefined) => boolean) {
  return peer.until(
    async () => {
      const row = byId(await peer.games())[game];
      return check(row) ? (row ?? null) : undefined;
    },
    10_000,
    `${game} as expected on ${peer.options.name}`,
  );
}

Deno.test({
  name: "three peers see each other, the union of their games, deltas, goodbyes and restarts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const { alpha, bravo, charlie, opts } = await startTrio(t);
    const all = [alpha, bravo, charlie];
    let restarted: PeerProcess | null = null;
    try {
      for (const peer of all) await peer.command("wait-peers", { count: 2, timeoutMs: 15_000 });

      // Symmetric peer lists, each peer recorded at its own listener address.
      for (const peer of all) {
        const others = all.filter((p) => p !== peer);
        const listed = (await peer.peers()).map((p) => [p.peerId, p.addr, p.state, p.name]);
        const expected = others.map((p) => [p.peerId, p.addr, "connected", p.options.name]);
        const sort = (a: unknown[][]) => a.sort((x, y) => String(x[0]).localeCompare(String(y[0])));
        assertEquals(sort(listed), sort(expected), peer.options.name);
      }

      // Traffic counts and, once the pair was idle long enough for a ping, its round trip.
      const measured = await alpha.until(
        async () => {
          const row = (await alpha.peers()).find((p) => p.peerId === bravo.peerId);
          return typeof row?.rttMs === "number" ? row : undefined;
        },
        10_000,
        "a ping's round trip",
      );
      assert((measured.rttMs as number) >= 0 && (measured.rttMs as number) < 1_000);
      assert((measured.bytesSent as number) > 0 && (measured.bytesReceived as number) > 0);

      // Union of games with peer counts (libraries arrive with hello).
      const games = byId(await alpha.games());
      assertEquals(Object.keys(games).sort(), ["Doom", "Quake", "Shared", "Unreal"]);
      assertEquals(games.Quake!.downloaded, true);
      assertEquals(games.Quake!.peerCount, 0);
      assertEquals(games.Doom!.peerCount, 1);
      assertEquals(games.Doom!.name, "DOOM");
      assertEquals(games.Doom!.downloaded, false);
      assertEquals(games.Shared!.peerCount, 2);
      assertEquals(byId(await charlie.games()).Quake!.peerCount, 1);

      // Adding a game on bravo reaches the others as a delta.
      const before = alpha.records.length;
      await writeGame(t.path("bravo"), { id: "Hexen", version: "1.1" });
      await gameRow(alpha, "Hexen", (r) => r?.peerCount === 1 && r.latestVersion === "1.1");
      await gameRow(charlie, "Hexen", (r) => r?.peerCount === 1);
      await alpha.waitEvent("peer-library-changed", (e) => e.peerId === bravo.peerId, 1, before);

      // Re-versioning on charlie.
      await Deno.writeTextFile(join(t.path("charlie"), "Unreal", "version.ini"), "2.1");
      await gameRow(alpha, "Unreal", (r) => r?.latestVersion === "2.1");
      await gameRow(bravo, "Unreal", (r) => r?.latestVersion === "2.1");

      // Removing on alpha.
      await Deno.remove(join(t.path("alpha"), "Quake"), { recursive: true });
      await gameRow(bravo, "Quake", (r) => r === undefined);
      await gameRow(charlie, "Quake", (r) => r === undefined);

      // SIGTERM: charlie says goodbye, the others drop it at once.
      const mark = [alpha.records.length, bravo.records.length];
      const stoppedAt = Date.now();
      const status = await charlie.kill("SIGTERM");
      assertEquals(status.code, 0, charlie.tail());
      for (const [i, peer] of [alpha, bravo].entries()) {
        const lost = await peer.waitEvent(
          "peer-lost",
          (e) => e.peerId === charlie.peerId,
          3_000,
          mark[i],
        );
        assertEquals(lost.reason, "goodbye");
        assert(Date.now() - stoppedAt < 3_000);
        assert(!(await peer.peers()).some((p) => p.peerId === charlie.peerId));
      }

      // Restart: same peer id, connected again to both.
      restarted = await PeerProcess.start(opts("charlie", [alpha.addr, bravo.addr]));
      assertEquals(restarted.peerId, charlie.peerId);
      await restarted.command("wait-peers", { count: 2, timeoutMs: 15_000 });
      await alpha.until(
        async () =>
          (await alpha.peers()).some((p) => p.peerId === charlie.peerId && p.state === "connected")
            ? true
            : undefined,
        10_000,
        "charlie back",
      );

      // SIGKILL: no goodbye, dropped within the liveness timeout (5 s) plus scheduling slack.
      const killMark = alpha.records.length;
      const killedAt = Date.now();
      await bravo.kill("SIGKILL");
      const lost = await alpha.waitEvent(
        "peer-lost",
        (e) => e.peerId === bravo.peerId,
        9_000,
        killMark,
      );
      const took = Date.now() - killedAt;
      assert(took < 8_000, `dropped after ${took} ms`);
      assert(lost.reason !== "goodbye");
      await restarted.until(
        async () =>
          (await restarted!.peers()).some((p) => p.peerId === bravo.peerId) ? undefined : true,
        9_000,
        "bravo gone",
      );
    } finally {
      await Promise.all([...all, ...(restarted ? [restarted] : [])].map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

/** A UDP port that was free a moment ago. */
function freePort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

function connectedTo(peer: PeerProcess, other: PeerProcess) {
  return peer.until(
    async () => {
      const row = (await peer.peers()).find((p) => p.peerId === other.peerId);
      return row?.state === "connected" ? row : undefined;
    },
    15_000,
    `${peer.options.name} sees ${other.options.name}`,
  );
}

Deno.test({
  name:
    "cold start: a peer that dials before the other is up ends up seen by it, at its listener address",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const port = freePort();
    const peers: PeerProcess[] = [];
    try {
      const early = await PeerProcess.start(inTree(t, "early", { connect: [`127.0.0.1:${port}`] }));
      peers.push(early);
      await new Promise((r) => setTimeout(r, 1_000));
      const late = await PeerProcess.start(inTree(t, "late", { port }));
      peers.push(late);
      const seenByLate = await connectedTo(late, early);
      const seenByEarly = await connectedTo(early, late);
      assertEquals(seenByLate.addr, early.addr);
      assertEquals(seenByEarly.addr, late.addr);
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "two peers dialling each other at once settle on one stable connection",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const [pa, pb] = [freePort(), freePort()];
    const peers: PeerProcess[] = [];
    try {
      const start = (name: string, port: number, other: number) =>
        PeerProcess.start(inTree(t, name, { port, connect: [`127.0.0.1:${other}`] }));
      peers.push(...await Promise.all([start("left", pa, pb), start("right", pb, pa)]));
      const [left, right] = peers as [PeerProcess, PeerProcess];
      await connectedTo(left, right);
      await connectedTo(right, left);
      await new Promise((r) => setTimeout(r, 2_000));
      for (const [peer, other] of [[left, right], [right, left]] as const) {
        const events = peer.records.filter((r: HarnessRecord) => r.type === "event");
        const connects = events.filter((e) => e.event === "peer-connected");
        assertEquals(connects.length, 1, `${peer.options.name}: ${JSON.stringify(events)}`);
        assertEquals(events.filter((e) => e.event === "peer-lost").length, 0);
        assertEquals((await peer.peers()).map((p) => [p.peerId, p.state]), [[
          other.peerId,
          "connected",
        ]]);
      }
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "connecting to our own address is a clear bad-request, and nothing is listed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peer = await PeerProcess.start(inTree(t, "lonely"));
    try {
      const error = await assertRejects(
        () => peer.command("connect", { addr: peer.addr }),
        HarnessError,
      );
      assertEquals(error.record.code, "bad-request");
      assertEquals(error.record.message, "bad-request: that address is this peer itself");
      assertEquals(await peer.peers(), []);
    } finally {
      await peer.shutdown();
      await t.cleanup();
    }
  },
});
