/**
 * Party membership and protocol versions between real peer processes.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "./assert.ts";
import { tempTree, writeGame } from "./fixtures.ts";
import { HarnessError, inTree, PeerProcess } from "./peer_process.ts";
import { PROTOCOL_VERSION } from "../src/wire/protocol.ts";

Deno.test({
  name:
    "a peer with another party key never sees us, our library or our data, and both logs say why",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGame(t.path("alpha"), { id: "Quake", version: "1.0" });
    const peers: PeerProcess[] = [];
    try {
      const alpha = await PeerProcess.start(inTree(t, "alpha"));
      peers.push(alpha);
      const mallory = await PeerProcess.start(
        inTree(t, "mallory", { partyKey: "a private party", connect: [alpha.addr] }),
      );
      peers.push(mallory);
      const error = await assertRejects(
        () => mallory.command("connect", { addr: alpha.addr }),
        HarnessError,
      );
      assertEquals(error.record.code, "unreachable");
      assertMatch(String(error.record.message), /another party/);
      await new Promise((r) => setTimeout(r, 1_500));
      assertEquals(await alpha.peers(), []);
      assertEquals(await mallory.peers(), []);
      assertEquals(await mallory.games(), []);
      assert(!mallory.records.some((r) => r.event === "peer-connected"));
      assertMatch(alpha.stderr, /refused connection.*another party/);
      assertMatch(mallory.stderr, /another party/);
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "a peer of another protocol version is listed as incompatible with both versions named",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGame(t.path("alpha"), { id: "Quake", version: "1.0" });
    const peers: PeerProcess[] = [];
    try {
      const alpha = await PeerProcess.start(inTree(t, "alpha"));
      peers.push(alpha);
      const future = await PeerProcess.start(inTree(t, "future", {
        connect: [alpha.addr],
        env: { LANSPREAD_TEST_PROTOCOL_VERSION: "99" },
      }));
      peers.push(future);
      const seen = await alpha.waitEvent("peer-incompatible", (e) => e.peerId === future.peerId);
      const ours = PROTOCOL_VERSION;
      assertEquals([seen.protocolVersion, seen.ourProtocolVersion], [99, ours]);
      const back = await future.waitEvent("peer-incompatible", (e) => e.peerId === alpha.peerId);
      assertEquals([back.protocolVersion, back.ourProtocolVersion], [ours, 99]);
      const row = (await alpha.peers()).find((p) => p.peerId === future.peerId);
      assertEquals([row?.state, row?.protocolVersion, row?.addr], [
        "incompatible",
        99,
        future.addr,
      ]);
      const other = (await future.peers()).find((p) => p.peerId === alpha.peerId);
      assertEquals([other?.state, other?.protocolVersion], ["incompatible", ours]);
      assertEquals(await future.games(), [], "no library crosses versions");
      const error = await assertRejects(
        () => future.command("connect", { addr: alpha.addr }),
        HarnessError,
      );
      assertEquals(error.record.code, "version-mismatch");
      const named = new RegExp(`version ${ours}.*99|99.*version ${ours}`);
      assertMatch(String(error.record.message), named);
      // Stays listed (no reconnect storm) until it leaves.
      await new Promise((r) => setTimeout(r, 1_500));
      assertEquals(alpha.records.filter((r) => r.event === "peer-incompatible").length, 1);
      const mark = alpha.records.length;
      await future.shutdown();
      await alpha.waitEvent("peer-lost", (e) => e.peerId === future.peerId, 5_000, mark);
      assertEquals(await alpha.peers(), []);
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});
