/**
 * mDNS discovery on a real (namespaced) LAN: separate network stacks, a
 * bridge, real multicast. Needs root and iproute2; otherwise every test is
 * registered as ignored with the reason in its name. The interoperability
 * test also needs Debian's python3-zeroconf.
 *
 * Nothing here sends a packet outside the namespaces it creates.
 */
import { assert, assertEquals } from "./assert.ts";
import { netnsUnavailable, type TestNode, withTestbed } from "./netns.ts";
import { MdnsNodeProcess, type NodeEvent } from "./mdns_nodes.ts";

const PYTHON = "/usr/bin/python3";
const ZEROCONF_PEER = new URL("./fixtures/zeroconf_peer.py", import.meta.url).pathname;
const QUERY = new URL("./fixtures/mdns_query.ts", import.meta.url).pathname;
const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const peerId = (i: number) => B32[i]!.repeat(16);

const netnsReason = await netnsUnavailable();

async function zeroconfReason(): Promise<string | null> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", "import zeroconf"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success
      ? null
      : "python3-zeroconf is not installed (apt-get install python3-zeroconf)";
  } catch {
    return `${PYTHON} is missing`;
  }
}

/** Registers `fn` as a test, or as an ignored one naming why it cannot run here. */
function netnsTest(name: string, fn: () => Promise<void>, extra: string | null = null): void {
  const reason = netnsReason ?? extra;
  if (reason) {
    console.log(`mdns netns test skipped (${name}): ${reason}`);
    Deno.test({ name: `${name} [skipped: ${reason}]`, ignore: true, fn });
  } else {
    Deno.test(name, fn);
  }
}

function start(
  node: TestNode,
  i: number,
  name = `node${i}`,
  extra: string[] = [],
): MdnsNodeProcess {
  return new MdnsNodeProcess(node, ["--name", name, "--peer-id", peerId(i), ...extra]);
}

const isPeer = (id: string) => (e: NodeEvent) =>
  e.event === "peer" && (e.peer as { peerId: string }).peerId === id;
const isLost = (id: string) => (e: NodeEvent) => e.event === "lost" && e.peerId === id;
const named = (e: NodeEvent) => (e.peer as { name: string }).name;

async function closeAll(procs: MdnsNodeProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.close()));
}

netnsTest(
  "three nodes in separate namespaces find each other; a clean shutdown removes one within 1 s",
  async () => {
    await withTestbed({ nodes: 3 }, async (bed) => {
      const procs = bed.nodes.map((n, i) => start(n, i));
      try {
        const appear: number[] = [];
        for (const [i, p] of procs.entries()) {
          for (const [j, other] of procs.entries()) {
            if (i === j) continue;
            const seen = await p.waitFor(isPeer(peerId(j)), 10_000, `node${i} to see node${j}`);
            const started = await other.waitFor((e) => e.event === "started", 1000);
            appear.push(seen.t - started.t);
            assertEquals((seen.peer as { addrs: string[] }).addrs, [bed.nodes[j]!.address]);
          }
        }
        await procs[2]!.stop();
        const stopping = procs[2]!.events.find((e) => e.event === "stopping")!;
        const removal: number[] = [];
        for (const p of procs.slice(0, 2)) {
          const lost = await p.waitFor(isLost(peerId(2)), 2000, "removal");
          removal.push(lost.t - stopping.t);
        }
        console.log(
          `mdns: start -> seen by another namespace: ${
            appear.map((t) => t.toFixed(0)).join(", ")
          } ms; ` +
            `shutdown -> removed: ${removal.map((t) => t.toFixed(0)).join(", ")} ms`,
        );
        assert(Math.max(...removal) < 1000, `removal took ${Math.max(...removal)} ms`);
        assert(procs.every((p) => !p.events.some((e) => e.event === "error")));
      } finally {
        await closeAll(procs);
      }
    });
  },
);

netnsTest("discovery works on a LAN with no gateway and no multicast route", async () => {
  await withTestbed({ nodes: 2, multicastRoute: false }, async (bed) => {
    const procs = bed.nodes.map((n, i) => start(n, i));
    try {
      await procs[0]!.waitFor(isPeer(peerId(1)), 10_000, "node0 to see node1");
      await procs[1]!.waitFor(isPeer(peerId(0)), 10_000, "node1 to see node0");
    } finally {
      await closeAll(procs);
    }
  });
});

netnsTest("nodes started with one name are renamed 'name (2)' and 'name (3)'", async () => {
  await withTestbed({ nodes: 3 }, async (bed) => {
    const procs = bed.nodes.slice(0, 2).map((n, i) => start(n, i, "twin"));
    try {
      await procs[0]!.waitFor(isPeer(peerId(1)), 10_000, "twins to meet");
      await procs[1]!.waitFor(isPeer(peerId(0)), 10_000, "twins to meet");
      procs.push(start(bed.nodes[2]!, 2, "twin"));
      const third = await procs[0]!.waitFor(isPeer(peerId(2)), 10_000, "the third twin");
      const names = [
        named(procs[0]!.events.find(isPeer(peerId(1)))!),
        named(procs[1]!.events.find(isPeer(peerId(0)))!),
      ].sort();
      assertEquals(names, ["twin", "twin (2)"]);
      assertEquals(named(third), "twin (3)");
    } finally {
      await closeAll(procs);
    }
  });
});

netnsTest(
  "a node survives its network interface vanishing and finds peers again when it returns",
  async () => {
    await withTestbed({ nodes: 3 }, async (bed) => {
      // Interfaces are re-read every 2 s and the cable is out for less than
      // that: the node must see the same interface come back as a new device.
      const procs = [
        start(bed.nodes[0]!, 0, "roamer", ["--check-ms", "2000"]),
        start(bed.nodes[1]!, 1),
      ];
      try {
        await procs[0]!.waitFor(isPeer(peerId(1)), 10_000, "first contact");
        await bed.nodes[0]!.unplug();
        await new Promise((r) => setTimeout(r, 300));
        await bed.nodes[0]!.plug();
        procs.push(start(bed.nodes[2]!, 2));
        await procs[0]!.waitFor(isPeer(peerId(2)), 10_000, "the roamer to find a newcomer");
        await procs[2]!.waitFor(isPeer(peerId(0)), 10_000, "the newcomer to find the roamer");
        assert(!procs[0]!.events.some((e) => e.event === "error"), procs[0]!.stderr.join("\n"));
      } finally {
        await closeAll(procs);
      }
    });
  },
);

netnsTest(
  "a legacy query from another namespace gets a unicast reply with TTLs ≤ 10 s, junk changes nothing",
  async () => {
    await withTestbed({ nodes: 2 }, async (bed) => {
      const procs = [start(bed.nodes[0]!, 0)];
      try {
        await new Promise((r) => setTimeout(r, 1500)); // probed and announced
        const out = await bed.nodes[1]!.exec([
          "deno",
          "run",
          "--unstable-net",
          "-A",
          QUERY,
          "--junk",
          "30",
        ]);
        const replies = out.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
        assertEquals(replies.length, 1, out.stdout + out.stderr);
        const reply = replies[0]!;
        assertEquals([reply.from, reply.id, reply.questions], [
          `${bed.nodes[0]!.address}:5353`,
          0x1234,
          [
            "_lanspread._udp.local",
          ],
        ]);
        assert(reply.records.length >= 4);
        assert(
          reply.records.every((r: { ttl: number; flush: boolean }) => r.ttl <= 10 && !r.flush),
        );
        await procs[0]!.command("status");
        const status = await procs[0]!.waitFor((e) => e.event === "status", 2000);
        assert((status.stats as { dropped: number }).dropped >= 30, JSON.stringify(status));
      } finally {
        await closeAll(procs);
      }
    });
  },
);

netnsTest(
  "python-zeroconf resolves our service, and our browser finds one registered by zeroconf",
  async () => {
    await withTestbed({ nodes: 2 }, async (bed) => {
      const ours = start(bed.nodes[0]!, 0, "lanspread-node", ["--rev", "3"]);
      try {
        const zc = await bed.nodes[1]!.exec(
          [PYTHON, ZEROCONF_PEER, bed.nodes[1]!.address, "4", "zzzzzzzzzzzzzzzz", "7", "40000"],
          { timeoutMs: 20_000 },
        );
        const lines = zc.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
        const resolved = lines.find((l) =>
          l.event === "resolved" && l.name.startsWith("lanspread-node.")
        );
        assert(resolved, `zeroconf did not resolve us:\n${zc.stdout}\n${zc.stderr}`);
        assertEquals(resolved.port, 47800);
        assertEquals(resolved.addresses, [bed.nodes[0]!.address]);
        assertEquals(resolved.properties, { id: peerId(0), pv: "1", rev: "3" });
        const found = await ours.waitFor(isPeer("zzzzzzzzzzzzzzzz"), 1000, "zeroconf's service");
        assertEquals(found.peer, {
          peerId: "zzzzzzzzzzzzzzzz",
          name: "zc-peer",
          protocolVersion: 1,
          rev: 7,
          addrs: [bed.nodes[1]!.address],
          port: 40000,
        });
        // zeroconf unregisters (goodbye) before it exits.
        await ours.waitFor(isLost("zzzzzzzzzzzzzzzz"), 2000, "zeroconf's goodbye");
      } finally {
        await ours.close();
      }
    });
  },
  netnsReason ? null : await zeroconfReason(),
);
