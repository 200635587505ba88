import { assert, assertEquals } from "../../tests/assert.ts";
import { SimLink, type SimNode } from "./simulation.ts";
import { encodePacket, encodeQuery, makePacket } from "./packet.ts";
import { SERVICE_TYPE } from "./records.ts";
import { decoded, question, record, txt } from "./_test_utils.ts";

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const peerId = (i: number) => (B32[Math.floor(i / 32)]! + B32[i % 32]!).repeat(8);

function nodes(link: SimLink, count: number, name = (i: number) => `node${i}`): SimNode[] {
  return Array.from({ length: count }, (_, i) => link.add({ name: name(i), peerId: peerId(i) }));
}

function known(node: SimNode): string[] {
  return node.core.peers().map((p) => p.peerId).sort();
}

function others(all: SimNode[], node: SimNode): string[] {
  return all.filter((n) => n !== node).map((n) => peerIdOf(n)).sort();
}

function peerIdOf(node: SimNode): string {
  return peerId(Number(node.address.split(".")[3]) - 2);
}

Deno.test("three nodes on one link find each other within one second, never listing themselves", () => {
  const link = new SimLink({ seed: 1 });
  const all = nodes(link, 3);
  link.run(1000);
  for (const node of all) assertEquals(known(node), others(all, node));
  const peer = all[0]!.core.peers().find((p) => p.peerId === peerId(1))!;
  assertEquals(peer, {
    peerId: peerId(1),
    name: "node1",
    protocolVersion: 1,
    rev: 0,
    addrs: ["10.77.0.3"],
    port: 47800,
  });
  assert(
    all.every((n) => n.core.responder.label === `node${all.indexOf(n)}`),
    "no false conflicts",
  );
});

Deno.test("a node joining later learns the others from their unicast answers, before it announces itself", () => {
  const link = new SimLink({ seed: 2 });
  const early = nodes(link, 3);
  link.run(10_000);
  const late = link.add({ name: "late", peerId: peerId(9) });
  link.run(300);
  assertEquals(known(late), others(early, late).concat().sort());
  assert(late.events.every((e) => e.at - 10_000 < 300));
  link.run(1000);
  for (const node of early) assert(known(node).includes(peerId(9)));
});

Deno.test("a clean shutdown removes the node from the others at once", () => {
  const link = new SimLink({ seed: 3 });
  const all = nodes(link, 3);
  link.run(5000);
  link.remove(all[2]!);
  link.run(10);
  for (const node of all.slice(0, 2)) {
    const lost = node.events.find((e) => e.kind === "lost");
    assertEquals(lost?.peerId, peerId(2));
    assert(lost!.at - 5000 <= 2);
  }
});

Deno.test("a node that vanishes without goodbye is lost when its host records expire", () => {
  const link = new SimLink({ seed: 4 });
  const all = nodes(link, 3);
  link.run(5000);
  link.remove(all[2]!, false);
  link.run(130_000);
  for (const node of all.slice(0, 2)) {
    const lost = node.events.find((e) => e.kind === "lost")!;
    assertEquals(lost.peerId, peerId(2));
    assert(lost.at - 5000 <= 121_000, `lost after ${lost.at - 5000} ms`);
  }
});

Deno.test("nodes with the same name end up as 'name', 'name (2)' and 'name (3)', and see each other", () => {
  const link = new SimLink({ seed: 5 });
  const twins = nodes(link, 2, () => "alpha");
  link.run(5000);
  const third = link.add({ name: "alpha", peerId: peerId(2) });
  link.run(5000);
  const all = [...twins, third];
  assertEquals(all.map((n) => n.core.responder.label).sort(), ["alpha", "alpha (2)", "alpha (3)"]);
  assertEquals(third.core.responder.label, "alpha (3)");
  for (const node of all) assertEquals(known(node), others(all, node));
  const names = all[0]!.core.peers().map((p) => p.name).sort();
  assertEquals(names.length, 2);
});

Deno.test("a revision change reaches the other nodes as a changed peer", () => {
  const link = new SimLink({ seed: 6 });
  const all = nodes(link, 2);
  link.run(5000);
  all[0]!.core.setRevision(42, link.now);
  link.run(10);
  const change = all[1]!.events.at(-1)!;
  assertEquals([change.kind, change.peer?.rev], ["peer", 42]);
  assert(change.at - 5000 <= 2);
});

Deno.test("hostile and foreign packets are dropped or ignored without disturbing discovery", () => {
  const link = new SimLink({ seed: 7 });
  const all = nodes(link, 2);
  link.run(500);
  const evil = { hostname: "10.77.0.66", port: 5353 };
  const junk = [
    new Uint8Array(0),
    new Uint8Array([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
    ...Array.from(
      { length: 50 },
      () => Uint8Array.from({ length: 80 }, () => Math.floor(link.random() * 256)),
    ),
  ];
  for (const data of junk) link.inject(data, evil);
  // Other services' records, a response from a non-mDNS port, a non-zero opcode.
  const foreign = makePacket({
    response: true,
    answers: [
      record("_http._tcp.local", "PTR", "web._http._tcp.local"),
      record("web._http._tcp.local", "SRV", {
        priority: 0,
        weight: 0,
        port: 80,
        target: "web.local",
      }),
      record("web.local", "A", "10.77.0.80"),
    ],
  });
  link.inject(encodePacket(foreign), evil);
  const spoof = makePacket({
    response: true,
    answers: [
      record(SERVICE_TYPE, "PTR", `spoof.${SERVICE_TYPE}`),
      record(`spoof.${SERVICE_TYPE}`, "TXT", txt("id=x")),
    ],
  });
  link.inject(encodePacket(spoof), { hostname: "10.77.0.66", port: 40000 });
  link.inject(encodePacket({ ...foreign, opcode: 5 }), evil);
  link.run(2000);
  for (const node of all) {
    assertEquals(known(node), others(all, node));
    assert(node.core.stats.dropped >= junk.length, `dropped ${node.core.stats.dropped}`);
    assertEquals(node.core.browser.cache.lookup("web.local", "A"), []);
  }
});

Deno.test("a legacy resolver on an ephemeral port gets a direct reply with TTLs of at most 10 s", () => {
  const link = new SimLink({ seed: 8 });
  nodes(link, 1);
  link.run(3000);
  const resolver = { hostname: "10.77.0.50", port: 40999 };
  const replies: Uint8Array[] = [];
  link.listen(resolver, (data) => replies.push(data));
  const [query] = encodeQuery([question(SERVICE_TYPE, "PTR")], []);
  const withId = query!.slice();
  withId.set([0x12, 0x34], 0);
  link.inject(withId, resolver);
  link.run(100);
  assertEquals(replies.length, 1);
  const reply = decoded(replies[0]!);
  assertEquals(reply.id, 0x1234);
  assert([...reply.answers, ...reply.additionals].every((r) => r.ttl <= 10 && !r.flush));
  assertEquals(reply.answers[0]!.data, `node0.${SERVICE_TYPE}`);
});

Deno.test("with 10 % of packets lost, ten nodes still all find each other", () => {
  const link = new SimLink({ seed: 9, loss: 0.1 });
  const all = nodes(link, 10);
  link.run(20_000);
  for (const node of all) assertEquals(known(node), others(all, node));
});

Deno.test("ten nodes in steady state multicast about once a minute each, with no peer churn", () => {
  const link = new SimLink({ seed: 10 });
  const all = nodes(link, 10);
  link.run(60_000);
  const before = all.map((n) => n.multicasts.length);
  const events = all.map((n) => n.events.length);
  const hours = 2;
  link.run(hours * 3600_000);
  const perMinute = all.map((n, i) => (n.multicasts.length - before[i]!) / (hours * 60));
  const average = perMinute.reduce((a, b) => a + b, 0) / perMinute.length;
  assert(average < 1.5, `average ${average.toFixed(2)} multicasts per node per minute`);
  assertEquals(all.map((n) => n.events.length), events, "no peer lost or re-found in steady state");
});

Deno.test("mutated real traffic fed to a running node never throws and leaves it working", () => {
  const link = new SimLink({ seed: 11 });
  const all = nodes(link, 3);
  link.run(5000);
  all[0]!.core.setRevision(1, link.now);
  link.run(2000);
  const traffic = all.flatMap((n) => n.multicasts.map((m) => m.data));
  const target = all[0]!;
  const random = link.random;
  for (let i = 0; i < 3000; i++) {
    const bytes = traffic[i % traffic.length]!.slice();
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    const from = { hostname: `10.77.0.${100 + (i % 50)}`, port: i % 3 === 0 ? 40000 + i : 5353 };
    target.core.receive(bytes, from, target.iface, i % 5 === 0, link.now);
    target.core.poll(link.now);
  }
  // Mutations may legitimately have renamed it or changed what it knows;
  // it must still run and find the others again.
  link.run(300_000);
  for (const id of others(all, target)) assert(known(target).includes(id));
});
