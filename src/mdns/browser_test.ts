import { assert, assertEquals } from "../../tests/assert.ts";
import { Browser } from "./browser.ts";
import { SERVICE_TYPE } from "./records.ts";
import { decoded, IFACE, question, received, record, txt } from "./_test_utils.ts";
import type { MdnsPacket, MdnsRecord } from "./packet.ts";
import type { Datagram } from "./types.ts";

const BOB = "bbbbbbbbbbbbbbbb";
const OWN = "aaaaaaaaaaaaaaaa";

function browser(random = () => 0.5, maxEntries?: number): Browser {
  const b = new Browser({ random, maxEntries });
  b.setInterfaces([{ id: IFACE, address: "10.77.0.2" }], 0);
  b.start(0);
  return b;
}

/** What a lanspread responder says about itself. */
function announcement(
  label: string,
  id: string,
  address: string,
  rev = 0,
  ttl?: number,
): MdnsRecord[] {
  const instance = `${label}.${SERVICE_TYPE}`;
  const host = `lanspread-${id}.local`;
  return [
    record(SERVICE_TYPE, "PTR", instance, { ttl: ttl ?? 4500 }),
    record(instance, "SRV", { priority: 0, weight: 0, port: 47800, target: host }, {
      flush: true,
      ttl: ttl ?? 120,
    }),
    record(instance, "TXT", txt(`id=${id}`, "pv=1", `rev=${rev}`), {
      flush: true,
      ttl: ttl ?? 4500,
    }),
    record(host, "A", address, { flush: true, ttl: ttl ?? 120 }),
  ];
}

function respond(b: Browser, records: MdnsRecord[], now: number): void {
  b.handleResponse(received({ response: true, answers: records }), now);
}

function runUntil(
  b: Browser,
  until: number,
  from = 0,
): { at: number; p: MdnsPacket; d: Datagram }[] {
  const out: { at: number; p: MdnsPacket; d: Datagram }[] = [];
  let now = from;
  for (let i = 0; i < 10_000; i++) {
    for (const d of b.poll(now)) out.push({ at: now, p: decoded(d), d });
    const next = b.nextDeadline();
    if (next > until) return out;
    now = Math.max(now, next);
  }
  throw new Error("browser did not settle");
}

Deno.test("the first PTR query goes out 20-120 ms after start with QU set, then QM at doubling intervals up to an hour", () => {
  const b = browser();
  const sent = runUntil(b, 3 * 3600_000);
  const times = sent.map((s) => s.at);
  assertEquals(times.slice(0, 5), [70, 1070, 3070, 7070, 15070]);
  assertEquals(sent.map((s) => s.p.questions[0]!.qu), sent.map((_, i) => i === 0));
  assert(sent.every((s) => s.p.questions[0]!.name === SERVICE_TYPE && s.d.to === "multicast"));
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assertEquals(Math.max(...gaps), 3600_000);
});

Deno.test("a lanspread announcement yields a peer; another service's records are not even cached", () => {
  const b = browser();
  respond(b, [
    ...announcement("bob", BOB, "10.77.0.3", 5),
    record("_http._tcp.local", "PTR", "web._http._tcp.local"),
    record("web._http._tcp.local", "TXT", txt("path=/")),
    record("printer.local", "A", "10.77.0.50"),
  ], 100);
  assertEquals([...b.peers(OWN).values()], [{
    peerId: BOB,
    name: "bob",
    protocolVersion: 1,
    rev: 5,
    addrs: ["10.77.0.3"],
    port: 47800,
  }]);
  assertEquals(b.cache.size, 4);
  assert(b.takeChanged());
  assert(!b.takeChanged());
});

Deno.test("a peer name heard with control characters is shown with them escaped", () => {
  const b = browser();
  respond(b, announcement("bob\u001b[2J\u202e", BOB, "10.77.0.3", 5), 100);
  assertEquals([...b.peers(OWN).values()].map((p) => p.name), ["bob\\x1b[2J\\u202e"]);
});

Deno.test("our own peer id and instances without a valid TXT are not peers", () => {
  const b = browser();
  respond(b, announcement("me", OWN, "10.77.0.2"), 100);
  const broken = announcement("broken", "cccccccccccccccc", "10.77.0.4");
  broken[2] = record(`broken.${SERVICE_TYPE}`, "TXT", txt("hello=world"), { flush: true });
  respond(b, broken, 100);
  assertEquals(b.peers(OWN).size, 0);
});

Deno.test("queries list known answers with more than half their TTL left, at their remaining TTL", () => {
  const b = browser();
  respond(b, announcement("bob", BOB, "10.77.0.3"), 50);
  const sent = runUntil(b, 1100);
  assertEquals(sent.map((s) => s.at), [70, 1070]);
  const ka = sent[1]!.p.answers;
  assertEquals(ka.map((r) => [r.type, r.data]), [["PTR", `bob.${SERVICE_TYPE}`]]);
  assertEquals(ka[0]!.ttl, 4498);
  // Past half its TTL, a record is no longer listed, so responders refresh it.
  const late = runUntil(b, 2_300_000, 1100).filter((s) =>
    s.p.questions.some((q) => q.type === "PTR")
  );
  assertEquals(late.at(-1)!.p.answers, []);
});

Deno.test("an instance without SRV, TXT or address is asked for, and dropped after four unanswered tries", () => {
  const b = browser(() => 0);
  respond(b, [record(SERVICE_TYPE, "PTR", `bob.${SERVICE_TYPE}`, { ttl: 4500 })], 500);
  const sent = runUntil(b, 30_000, 500).filter((s) => s.p.questions.some((q) => q.type !== "PTR"));
  assertEquals(sent.map((s) => s.at), [520, 1520, 3520, 7520]);
  assertEquals(sent[0]!.p.questions.map((q) => q.type).sort(), ["SRV", "TXT"]);
  assertEquals(b.cache.lookup(SERVICE_TYPE, "PTR").length, 0);
  respond(b, announcement("bob", BOB, "10.77.0.3").slice(0, 3), 40_000);
  const asks = runUntil(b, 41_000, 40_000).flatMap((s) => s.p.questions.map((q) => q.type))
    .filter((t) => t !== "PTR");
  assertEquals(asks, ["A"], "an SRV target without an address is asked for");
});

Deno.test("records are refreshed at 80-95 % of their TTL and expire at 100 %, losing the peer", () => {
  const b = browser(() => 0);
  respond(b, announcement("bob", BOB, "10.77.0.3"), 0);
  b.takeChanged();
  const srvQueries = runUntil(b, 119_999).filter((s) =>
    s.p.questions.some((q) => q.type === "SRV")
  );
  assertEquals(srvQueries.map((s) => s.at), [96_000, 102_000, 108_000, 114_000]);
  assertEquals(b.peers(OWN).size, 1);
  runUntil(b, 120_000, 119_999);
  assert(b.takeChanged());
  assertEquals(b.peers(OWN).size, 0);
});

Deno.test("an answer to a refresh query restarts the record's TTL", () => {
  const b = browser(() => 0);
  respond(b, announcement("bob", BOB, "10.77.0.3"), 0);
  runUntil(b, 97_000);
  respond(b, announcement("bob", BOB, "10.77.0.3"), 97_000);
  runUntil(b, 200_000, 97_000);
  assertEquals(b.peers(OWN).size, 1);
});

Deno.test("a goodbye removes the peer at once and the record one second later", () => {
  const b = browser();
  respond(b, announcement("bob", BOB, "10.77.0.3"), 0);
  b.takeChanged();
  respond(b, announcement("bob", BOB, "10.77.0.3", 0, 0), 5000);
  assert(b.takeChanged());
  assertEquals(b.peers(OWN).size, 0);
  assertEquals(b.cache.size, 4);
  runUntil(b, 6000, 5000);
  assertEquals(b.cache.size, 0);
});

Deno.test("a cache-flush record replaces older data of its name and type; the old one goes after 1 s", () => {
  const b = browser();
  respond(b, announcement("bob", BOB, "10.77.0.3", 1), 0);
  respond(b, announcement("bob", BOB, "10.77.0.33", 2), 5000);
  const peer = b.peers(OWN).get(BOB)!;
  assertEquals([peer.rev, peer.addrs], [2, ["10.77.0.33"]]);
  runUntil(b, 6000, 5000);
  assertEquals(b.cache.lookup(`bob.${SERVICE_TYPE}`, "TXT").length, 1);
});

Deno.test("two unanswered multicast queries for a cached record flush it after ten seconds (POOF, RFC 6762 §10.5)", () => {
  const b = browser();
  respond(b, announcement("bob", BOB, "10.77.0.3"), 0);
  const ask = (at: number, qu = false) =>
    b.handleQuery(received({ questions: [question(`bob.${SERVICE_TYPE}`, "SRV", qu)] }), at);
  ask(1000, true);
  ask(2000, true);
  runUntil(b, 20_000, 2000);
  assertEquals(
    b.peers(OWN).size,
    1,
    "QU queries may have been answered by unicast: they do not count",
  );
  ask(21_000);
  ask(22_000);
  runUntil(b, 30_999, 22_000);
  assertEquals(b.peers(OWN).size, 1);
  runUntil(b, 31_000, 30_999);
  assertEquals(b.peers(OWN).size, 0);
});

Deno.test("another host's identical PTR question counts as ours (duplicate question suppression)", () => {
  const b = browser();
  runUntil(b, 100);
  b.handleQuery(received({ questions: [question(SERVICE_TYPE, "PTR")] }), 1000);
  // Ours was due at 1070; treated as sent at 1000, the next is 2 s later.
  assertEquals(runUntil(b, 3500, 1000).map((s) => s.at), [3000]);
});

Deno.test("the cache holds at most maxEntries records", () => {
  const b = browser(() => 0.5, 10);
  for (let i = 0; i < 20; i++) {
    respond(b, [record(SERVICE_TYPE, "PTR", `p${i}.${SERVICE_TYPE}`)], 10);
  }
  assertEquals(b.cache.size, 10);
});
