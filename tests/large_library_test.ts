/**
 * Libraries larger than one frame, between two real peer processes: a
 * thousand games with 4,000-character Japanese descriptions (about 12 MB of
 * library, three times the frame header limit) connect and sync, and a
 * library that grows by more than a delta may carry keeps its peer.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { tempTree, type Tree } from "./fixtures.ts";
import { inTree, PeerProcess } from "./peer_process.ts";
import { LIMITS } from "../src/wire/protocol.ts";

/** 4,000 characters of Japanese: 12,000 bytes of UTF-8 each. */
const DESCRIPTION =
  "春はあけぼの。やうやう白くなりゆく山ぎは、少しあかりて、紫だちたる雲の細くたなびきたる。"
    .repeat(100).slice(0, 4_000);

async function writeGames(t: Tree, dir: string, from: number, count: number): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = from; i < from + count; i++) {
    const game = join(t.path(dir), `game${String(i).padStart(5, "0")}`);
    writes.push((async () => {
      await Deno.mkdir(game, { recursive: true });
      await Deno.writeTextFile(join(game, "version.ini"), "1.0");
      const meta = { name: `ゲーム ${i}`, description: `${i} ${DESCRIPTION}`.slice(0, 4_000) };
      await Deno.writeTextFile(join(game, "game.json"), JSON.stringify(meta));
    })());
  }
  await Promise.all(writes);
}

/** Polls `peer` until it lists `other` connected with `count` games. */
function offering(peer: PeerProcess, other: PeerProcess, count: number) {
  return peer.until(
    async () => {
      const row = (await peer.peers()).find((p) => p.peerId === other.peerId);
      const games = (row?.games as string[] | undefined)?.length;
      return row?.state === "connected" && games === count ? row : undefined;
    },
    60_000,
    `${other.options.name} connected with ${count} games`,
  );
}

Deno.test({
  name: "a thousand games with long Japanese descriptions connect and sync; growing keeps the peer",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGames(t, "big", 0, 1_000);
    const peers: PeerProcess[] = [];
    try {
      const big = await PeerProcess.start(inTree(t, "big"), 60_000);
      peers.push(big);
      const other = await PeerProcess.start(inTree(t, "other", { connect: [big.addr] }));
      peers.push(other);
      await offering(other, big, 1_000);
      const games = await other.games();
      assertEquals(games.length, 1_000);
      const first = games.find((g) => g.id === "game00000")!;
      assertEquals(first.name, "ゲーム 0");
      assertEquals(first.description, `0 ${DESCRIPTION}`.slice(0, 4_000));

      // Grow by far more than one delta may carry (200 games: about 2.4 MB).
      const mark = [big.records.length, other.records.length];
      await Deno.mkdir(t.path("staging"));
      await writeGames(t, "staging", 1_000, 200);
      for await (const entry of Deno.readDir(t.path("staging"))) {
        await Deno.rename(join(t.path("staging"), entry.name), join(t.path("big"), entry.name));
      }
      await offering(other, big, 1_200);
      assert(
        big.stderr.includes("is too large for a delta"),
        `the growth went as library-changed\n${big.tail()}`,
      );
      assertEquals(LIMITS.maxDeltaBytes < 200 * 12_000, true);
      for (const [i, peer] of [big, other].entries()) {
        const lost = peer.records.slice(mark[i]).filter((r) => r.event === "peer-lost");
        assertEquals(lost, [], `${peer.options.name} lost no peer`);
      }
      assert(!/ERROR/.test(big.stderr + other.stderr), big.tail() + other.tail());
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});
