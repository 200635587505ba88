import { assert, assertEquals } from "../../tests/assert.ts";
import { Responder } from "./responder.ts";
import { SERVICE_TYPE, SERVICES_ENUMERATION } from "./records.ts";
import {
  decoded,
  IFACE,
  OTHER_HOST,
  question,
  received,
  record,
  recordsOf,
  txt,
} from "./_test_utils.ts";
import type { MdnsPacket, MdnsRecord } from "./packet.ts";
import type { Datagram } from "./types.ts";

const ID = "aaaaaaaaaaaaaaaa";
const INSTANCE = `alpha.${SERVICE_TYPE}`;
const HOST = `lanspread-${ID}.local`;

function responder(random = () => 0.5): Responder {
  const r = new Responder({
    name: "alpha",
    peerId: ID,
    port: 47800,
    protocolVersion: 1,
    rev: 3,
    random,
  });
  r.setInterfaces([{ id: IFACE, address: "10.77.0.2" }], 0);
  r.start(0);
  return r;
}

/** Polls at every deadline up to `until`; returns what was sent, with times. */
function runUntil(r: Responder, until: number, from = 0): { at: number; d: Datagram }[] {
  const out: { at: number; d: Datagram }[] = [];
  let now = from;
  for (let i = 0; i < 1000; i++) {
    for (const d of r.poll(now)) out.push({ at: now, d });
    const next = r.nextDeadline();
    if (next > until) return out;
    now = Math.max(now, next);
  }
  throw new Error("responder did not settle");
}

/** A responder that has finished probing and announcing (t = 3000). */
function announced(random?: () => number): Responder {
  const r = responder(random);
  runUntil(r, 3000);
  assert(r.running);
  return r;
}

const kinds = (p: MdnsPacket) => [...p.answers, ...p.additionals].map((r) => r.type);

Deno.test("probes three times 250 ms apart after a 0-250 ms delay, then announces twice 1 s apart", () => {
  const sent = runUntil(responder(), 10_000);
  assertEquals(sent.map((s) => s.at), [125, 375, 625, 875, 1875]);
  for (const { d } of sent.slice(0, 3)) {
    const probe = decoded(d);
    assertEquals(probe.response, false);
    assertEquals(probe.questions.map((q) => [q.name, q.type, q.qu]), [[INSTANCE, "ANY", true], [
      HOST,
      "ANY",
      true,
    ]]);
    assertEquals(probe.authorities.map((r) => r.type), ["SRV", "TXT", "A"]);
  }
  for (const { d } of sent.slice(3)) {
    const announcement = decoded(d);
    assert(announcement.response && announcement.authoritative);
    assertEquals(d.to, "multicast");
    assertEquals(kinds(announcement), ["PTR", "SRV", "TXT", "A", "NSEC"]);
    assertEquals(announcement.answers.map((r) => r.flush), [false, true, true, true, true]);
  }
});

Deno.test("a conflicting answer while probing renames to 'name (2)' and probes again", () => {
  const r = responder();
  runUntil(r, 400);
  const theirs = record(
    INSTANCE,
    "SRV",
    { priority: 0, weight: 0, port: 1, target: "other.local" },
    { flush: true },
  );
  r.handleResponse(received({ response: true, answers: [theirs] }), 400);
  assertEquals(r.label, "alpha (2)");
  const sent = runUntil(r, 5000, 400);
  assertEquals(sent.map((s) => s.at), [400, 650, 900, 1150, 2150]);
  assertEquals(decoded(sent[0]!.d).questions[0]!.name, `alpha (2).${SERVICE_TYPE}`);
});

Deno.test("losing a simultaneous probe defers probing by one second; winning changes nothing (RFC 6762 §8.2)", () => {
  // Same TXT, SRV targets of equal length: the rdata bytes decide.
  const probe = (r: Responder, target: string) =>
    received({
      questions: [question(INSTANCE, "ANY", true)],
      authorities: [
        r.records(IFACE)!.txt,
        record(INSTANCE, "SRV", { priority: 0, weight: 0, port: 47800, target: `${target}.local` }),
      ],
    });
  const winner = responder();
  runUntil(winner, 200);
  winner.handleQuery(probe(winner, "lanspread-0aaaaaaaaaaaaaaa"), 200);
  assertEquals(runUntil(winner, 1000, 200).map((s) => s.at), [375, 625, 875]);
  const loser = responder();
  runUntil(loser, 200);
  loser.handleQuery(probe(loser, "lanspread-zzzzzzzzzzzzzzzz"), 200);
  assertEquals(runUntil(loser, 3000, 200).map((s) => s.at), [1200, 1450, 1700, 1950, 2950]);
  assertEquals(loser.label, "alpha");
});

Deno.test("a conflict after announcing sends the responder back to probing", () => {
  const r = announced();
  const theirs = record(HOST, "A", "10.77.0.99", { flush: true });
  r.handleResponse(received({ response: true, answers: [theirs] }), 5000);
  assert(!r.running);
  const sent = runUntil(r, 6000, 5000);
  assertEquals(decoded(sent[0]!.d).authorities.length, 3, "a probe");
});

Deno.test("a PTR question is answered after 20-120 ms with SRV, TXT, A and NSEC as additional records", () => {
  const r = announced(() => 0.25);
  r.handleQuery(received({ questions: [question(SERVICE_TYPE, "PTR")] }), 5000);
  const sent = runUntil(r, 6000, 5000);
  assertEquals(sent.map((s) => s.at), [5045]);
  const p = decoded(sent[0]!.d);
  assertEquals(p.answers.map((a) => a.type), ["PTR"]);
  assertEquals(p.additionals.map((a) => a.type).sort(), ["A", "NSEC", "SRV", "TXT"]);
});

Deno.test("a unique-record question is answered at once; AAAA for our host gets NSEC", () => {
  const r = announced();
  r.handleQuery(received({ questions: [question(INSTANCE, "SRV"), question(HOST, "AAAA")] }), 5000);
  const sent = runUntil(r, 6000, 5000);
  assertEquals(sent.map((s) => s.at), [5000]);
  const p = decoded(sent[0]!.d);
  assertEquals(p.answers.map((a) => a.type), ["SRV", "NSEC"]);
  assertEquals(p.additionals.map((a) => a.type), ["A"]);
});

Deno.test("questions for other names and classes are not answered", () => {
  const r = announced();
  r.handleQuery(
    received({
      questions: [question("_http._tcp.local", "PTR"), {
        ...question(SERVICE_TYPE, "PTR"),
        class: 3,
      }],
    }),
    5000,
  );
  assertEquals(runUntil(r, 6000, 5000), []);
});

Deno.test("known-answer suppression: a listed record with at least half its TTL is not sent again", () => {
  const ptr = (ttl: number) => record(SERVICE_TYPE, "PTR", INSTANCE, { ttl });
  const r = announced();
  r.handleQuery(
    received({ questions: [question(SERVICE_TYPE, "PTR")], answers: [ptr(2250)] }),
    5000,
  );
  assertEquals(runUntil(r, 6000, 5000), []);
  r.handleQuery(
    received({ questions: [question(SERVICE_TYPE, "PTR")], answers: [ptr(2249)] }),
    7000,
  );
  assertEquals(runUntil(r, 8000, 7000).length, 1);
});

Deno.test("a record is multicast on an interface at most once per second", () => {
  const r = announced(() => 0);
  const ask = (at: number) =>
    r.handleQuery(received({ questions: [question(INSTANCE, "TXT")] }), at);
  ask(5000);
  assertEquals(runUntil(r, 5000, 5000).map((s) => s.at), [5000]);
  ask(5300);
  assertEquals(runUntil(r, 8000, 5300).map((s) => s.at), [6000]);
});

Deno.test("a QU question is answered by unicast if the record was multicast lately, else by multicast", () => {
  const r = announced(() => 0);
  // Announced at 875 and 1875: within a quarter of the 120 s TTL.
  r.handleQuery(received({ questions: [question(INSTANCE, "SRV", true)] }), 5000);
  const soon = runUntil(r, 6000, 5000);
  assertEquals(soon.map((s) => s.d.to), [OTHER_HOST]);
  r.handleQuery(received({ questions: [question(INSTANCE, "SRV", true)] }), 40_000);
  const later = runUntil(r, 41_000, 40_000);
  assertEquals(later.map((s) => s.d.to), ["multicast"]);
});

Deno.test("a legacy query (source port not 5353) gets a direct reply: same id and question, TTL ≤ 10, no flush", () => {
  const r = announced();
  const legacy = { hostname: "10.77.0.9", port: 40123 };
  r.handleQuery(received({ id: 4242, questions: [question(SERVICE_TYPE, "PTR")] }, legacy), 5000);
  const sent = runUntil(r, 5000, 5000);
  assertEquals(sent.length, 1);
  assertEquals(sent[0]!.d.to, legacy);
  const p = decoded(sent[0]!.d);
  assertEquals(p.id, 4242);
  assertEquals(p.questions.map((q) => q.name), [SERVICE_TYPE]);
  const all: MdnsRecord[] = [...p.answers, ...p.additionals];
  assert(all.length >= 4);
  assert(all.every((x) => x.ttl <= 10 && !x.flush));
});

Deno.test("a truncated query waits 400-500 ms, and its known-answer follow-up withdraws what it lists", () => {
  const r = announced(() => 0);
  r.handleQuery(received({ truncated: true, questions: [question(SERVICE_TYPE, "PTR")] }), 5000);
  assertEquals(r.nextDeadline(), 5400);
  r.handleQuery(
    received({ answers: [record(SERVICE_TYPE, "PTR", INSTANCE, { ttl: 4000 })] }),
    5100,
  );
  assertEquals(runUntil(r, 6000, 5100), []);
});

Deno.test("another responder multicasting the same answer first suppresses ours (RFC 6762 §7.4)", () => {
  const r = announced(() => 0.5);
  r.handleQuery(received({ questions: [question(SERVICE_TYPE, "PTR")] }), 5000);
  r.handleResponse(
    received({ response: true, answers: [record(SERVICE_TYPE, "PTR", INSTANCE, { ttl: 4500 })] }),
    5010,
  );
  assertEquals(runUntil(r, 6000, 5010), []);
});

Deno.test("a revision change re-announces the TXT record twice, 1 s apart", () => {
  const r = announced();
  r.setRevision(4, 5000);
  const sent = runUntil(r, 9000, 5000);
  assertEquals(sent.map((s) => s.at), [5000, 6000]);
  for (const { d } of sent) {
    const p = decoded(d);
    assertEquals(p.answers.map((a) => a.type), ["TXT"]);
    assertEquals(new TextDecoder().decode((p.answers[0]!.data as Uint8Array[])[2]), "rev=4");
  }
  r.setRevision(4, 9000);
  assertEquals(runUntil(r, 12_000, 9000), [], "an unchanged revision is not announced");
});

Deno.test("goodbyes carry every record with TTL 0, except the shared services-enumeration PTR", () => {
  const r = announced();
  const records = recordsOf(r.stop());
  assertEquals(records.map((x) => x.type), ["PTR", "SRV", "TXT", "A"]);
  assert(records.every((x) => x.ttl === 0));
  assert(!records.some((x) => x.name === SERVICES_ENUMERATION));
  assertEquals(responder().stop(), [], "no goodbyes before announcing");
});

Deno.test("a new interface means probing again, then announcing with each interface's address", () => {
  const r = announced();
  const WLAN = "wlan0/192.168.1.5";
  r.setInterfaces(
    [{ id: IFACE, address: "10.77.0.2" }, { id: WLAN, address: "192.168.1.5" }],
    5000,
  );
  assert(!r.running);
  const sent = runUntil(r, 9000, 5000);
  assertEquals([...new Set(sent.map((s) => s.at))], [5125, 5375, 5625, 5875, 6875]);
  const announcement = sent.filter((s) => s.at === 5875);
  assertEquals(announcement.map((s) => s.d.iface), [IFACE, WLAN]);
  const addresses = announcement.map((s) => recordsOf([s.d]).find((x) => x.type === "A")!.data);
  assertEquals(addresses, ["10.77.0.2", "192.168.1.5"]);
  r.setInterfaces(
    [{ id: IFACE, address: "10.77.0.2" }, { id: WLAN, address: "192.168.1.5" }],
    9000,
  );
  assert(r.running, "the same interfaces again change nothing");
});

Deno.test("without any interface the responder waits, and probes once one appears", () => {
  const r = new Responder({
    name: "alpha",
    peerId: ID,
    port: 47800,
    protocolVersion: 1,
    rev: 3,
    random: () => 0,
  });
  r.start(0);
  assertEquals(r.nextDeadline(), Infinity);
  r.setInterfaces([{ id: IFACE, address: "10.77.0.2" }], 100);
  assertEquals(runUntil(r, 3000, 100).map((s) => s.at), [100, 350, 600, 850, 1850]);
});

Deno.test("fifteen conflicts within ten seconds slow probing to once per five seconds", () => {
  const r = responder();
  let now = 0;
  for (let i = 0; i < 15; i++) {
    const srv = record(`${r.label}.${SERVICE_TYPE}`, "SRV", {
      priority: 0,
      weight: 0,
      port: 1,
      target: "x.local",
    });
    r.handleResponse(received({ response: true, answers: [srv] }), now);
    now += 100;
  }
  assertEquals(r.label, "alpha (16)");
  assertEquals(r.nextDeadline(), 1400 + 5000);
});

Deno.test("a TXT record with other content is a conflict; our own records are not", () => {
  const r = announced();
  r.handleResponse(
    received({ response: true, answers: r.records(IFACE)!.txt ? [r.records(IFACE)!.txt] : [] }),
    5000,
  );
  assert(r.running, "our own record echoed is not a conflict");
  r.handleResponse(
    received({ response: true, answers: [record(INSTANCE, "TXT", txt("id=x"))] }),
    5000,
  );
  assert(!r.running);
});
