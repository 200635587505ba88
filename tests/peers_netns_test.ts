/**
 * Whole peers on separate "machines" (network namespaces on one bridge),
 * with mDNS on and no --connect: zero configuration, as at a LAN party.
 * Needs root and iproute2; otherwise skipped with the reason printed.
 */
import { assert, assertEquals } from "./assert.ts";
import { tempTree, type Tree, writeGame } from "./fixtures.ts";
import { netnsUnavailable, type TestNode, withTestbed } from "./netns.ts";
import { PeerProcess } from "./peer_process.ts";

const reason = await netnsUnavailable();
if (reason) console.error(`skipping the peer network-namespace tests: ${reason}`);

function startIn(
  node: TestNode,
  t: Tree,
  name: string,
  extra: Partial<Parameters<typeof PeerProcess.start>[0]> = {},
) {
  return PeerProcess.start({
    name,
    gamesDir: t.path(`${name}-games`),
    stateDir: t.path(`${name}-state`),
    host: "0.0.0.0",
    wrapper: ["ip", "netns", "exec", node.ns],
    mdns: true,
    ...extra,
  });
}

/** Time from `started` until `peer` lists `other` as connected. */
async function connectedAfter(peer: PeerProcess, other: PeerProcess, started: number) {
  await peer.until(
    async () =>
      (await peer.peers()).some((p) => p.peerId === other.peerId && p.state === "connected")
        ? true
        : undefined,
    10_000,
    `${peer.options.name} sees ${other.options.name}`,
  );
  return Date.now() - started;
}

Deno.test({
  name:
    "peers on three machines find each other over mDNS with no configuration and sync libraries",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peers: PeerProcess[] = [];
    try {
      await withTestbed({ nodes: 3 }, async (bed) => {
        const names = ["alpha", "bravo", "charlie"];
        for (const [i, name] of names.entries()) {
          await writeGame(t.path(`${name}-games`), { id: `Game${i}`, version: "1.0" });
        }
        peers.push(await startIn(bed.nodes[0]!, t, "alpha"));
        peers.push(await startIn(bed.nodes[1]!, t, "bravo"));
        const started = Date.now();
        peers.push(await startIn(bed.nodes[2]!, t, "charlie"));
        const [alpha, bravo, charlie] = peers as [PeerProcess, PeerProcess, PeerProcess];
        const appear = [
          await connectedAfter(alpha, charlie, started),
          await connectedAfter(bravo, charlie, started),
        ];
        for (const peer of peers) await peer.command("wait-peers", { count: 2, timeoutMs: 10_000 });
        // Each is recorded at its address on the LAN, never by an ephemeral source port.
        const listed = await alpha.peers();
        assertEquals(
          listed.map((p) => String(p.addr).split(":")[0]).sort(),
          [bed.nodes[1]!.address, bed.nodes[2]!.address],
        );
        assert(
          alpha.records.some((r) => r.event === "peer-discovered" && r.peerId === bravo.peerId),
        );
        await alpha.until(
          async () => {
            const ids = (await alpha.games()).map((g) => g.id);
            return ids.length === 3 ? ids : undefined;
          },
          10_000,
          "all libraries",
        );
        // A clean shutdown removes the peer from the others within a second.
        const marks = [alpha.records.length, bravo.records.length];
        const stoppedAt = Date.now();
        await charlie.kill("SIGTERM");
        const removal: number[] = [];
        for (const [i, peer] of [alpha, bravo].entries()) {
          await peer.waitEvent("peer-lost", (e) => e.peerId === charlie.peerId, 3_000, marks[i]);
          removal.push(Date.now() - stoppedAt);
        }
        console.log(
          `peers over mDNS: start -> connected elsewhere ${
            appear.join(", ")
          } ms (target < 1000); ` +
            `shutdown -> removed ${removal.join(", ")} ms (target < 1000)`,
        );
        assert(Math.max(...removal) < 1_500, `removed after ${removal} ms`);
        assert(Math.max(...appear) < 3_000, `appeared after ${appear} ms`);
      });
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "two peers with the same name both join; mDNS renames one instance",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peers: PeerProcess[] = [];
    try {
      await withTestbed({ nodes: 2 }, async (bed) => {
        peers.push(
          await startIn(bed.nodes[0]!, t, "twin", {
            stateDir: t.path("one-state"),
            gamesDir: t.path("one"),
          }),
        );
        peers.push(
          await startIn(bed.nodes[1]!, t, "twin", {
            stateDir: t.path("two-state"),
            gamesDir: t.path("two"),
          }),
        );
        for (const peer of peers) await peer.command("wait-peers", { count: 1, timeoutMs: 10_000 });
        const instances = await peers[0]!.until(
          async () => {
            const names = await Promise.all(
              peers.map(async (p) =>
                ((await p.command("status")).discovery as { instanceName: string }).instanceName
              ),
            );
            return names.includes("twin (2)") ? names.sort() : undefined;
          },
          10_000,
          "a renamed instance",
        );
        assertEquals(instances, ["twin", "twin (2)"]);
      });
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});
