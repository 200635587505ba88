import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  compareRecordSets,
  decodePacket,
  encodePacket,
  encodeQuery,
  encodeResponse,
  makePacket,
  MAX_PACKET_BYTES,
  type MdnsRecord,
  recordKey,
  sameRecord,
} from "./packet.ts";
import { decoded, question, record, txt } from "./_test_utils.ts";
import { seededRandom } from "./simulation.ts";

const srv = record("alpha._lanspread._udp.local", "SRV", {
  priority: 0,
  weight: 0,
  port: 47800,
  target: "lanspread-aaaaaaaaaaaaaaaa.local",
}, { flush: true });
const full = makePacket({
  id: 0,
  response: true,
  authoritative: true,
  answers: [
    record("_lanspread._udp.local", "PTR", "alpha._lanspread._udp.local", { ttl: 4500 }),
    srv,
    record("alpha._lanspread._udp.local", "TXT", txt("id=aaaaaaaaaaaaaaaa", "pv=1", "rev=3"), {
      flush: true,
    }),
  ],
  additionals: [
    record("lanspread-aaaaaaaaaaaaaaaa.local", "A", "10.77.0.2", { flush: true }),
    record("lanspread-aaaaaaaaaaaaaaaa.local", "NSEC", {
      nextDomain: "lanspread-aaaaaaaaaaaaaaaa.local",
      rrtypes: ["A"],
    }, { flush: true }),
  ],
});

Deno.test("a response round-trips through encode and decode unchanged", () => {
  assertEquals(decoded(encodePacket(full)), full);
});

Deno.test("a query with QU and QM questions round-trips, including the QU bit", () => {
  const packet = makePacket({
    questions: [question("_lanspread._udp.local", "PTR", true), {
      ...question("x.local", "ANY"),
      class: 255,
    }],
    answers: [record("_lanspread._udp.local", "PTR", "a._lanspread._udp.local", { ttl: 3000 })],
  });
  assertEquals(decoded(encodePacket(packet)), packet);
});

Deno.test("the QU bit is the top bit of the question class on the wire", () => {
  const bytes = encodePacket(makePacket({ questions: [question("a.local", "A", true)] }));
  // header(12) + name "a.local" (1+1+1+5+1 = 9) + type(2) + class(2)
  assertEquals(bytes.length, 25);
  assertEquals([bytes[23], bytes[24]], [0x80, 0x01]);
  const qm = encodePacket(makePacket({ questions: [question("a.local", "A", false)] }));
  assertEquals([qm[23], qm[24]], [0x00, 0x01]);
});

Deno.test("a QU bit written by another implementation is read", () => {
  // Hand-built: one question "b.local" type PTR (12), class 0x8001.
  const bytes = new Uint8Array([
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0x62,
    5,
    0x6c,
    0x6f,
    0x63,
    0x61,
    0x6c,
    0,
    0,
    12,
    0x80,
    0x01,
  ]);
  const result = decodePacket(bytes);
  assert(result.ok);
  assertEquals(result.packet.questions, [{ name: "b.local", type: "PTR", class: 1, qu: true }]);
});

Deno.test("the cache-flush bit is the top bit of the record class on the wire", () => {
  const bytes = encodePacket(makePacket({
    response: true,
    answers: [record("a.local", "A", "10.0.0.1", { flush: true })],
  }));
  // header(12) + name(9) + type(2): class follows.
  assertEquals([bytes[23], bytes[24]], [0x80, 0x01]);
  const r = decoded(bytes).answers[0]!;
  assertEquals([r.class, r.flush], [1, true]);
});

Deno.test("a large known-answer list spans packets with TC set on all but the last", () => {
  const known = Array.from(
    { length: 60 },
    (_, i) =>
      record("_lanspread._udp.local", "PTR", `peer number ${i}._lanspread._udp.local`, {
        ttl: 4000,
      }),
  );
  const packets = encodeQuery([question("_lanspread._udp.local", "PTR")], known, 1400).map((b) =>
    decoded(b)
  );
  assert(packets.length >= 2, `expected several packets, got ${packets.length}`);
  assertEquals(packets.map((p) => p.truncated), packets.map((_, i) => i < packets.length - 1));
  assertEquals(packets[0]!.questions.length, 1);
  assertEquals(packets.flatMap((p) => p.answers), known);
  for (const p of packets) assert(encodePacket(p).length <= 1400);
});

Deno.test("a large response is split, and additional records go only where they fit", () => {
  const answers = Array.from(
    { length: 40 },
    (_, i) => record("x.local", "TXT", txt("k=" + "v".repeat(60) + i)),
  );
  const packets = encodeResponse({ base: {}, answers, additionals: [srv], maxBytes: 1400 });
  assert(packets.length >= 2);
  for (const p of packets) assert(p.length <= 1400);
  const all = packets.map((p) => decoded(p));
  assertEquals(all.flatMap((p) => p.answers).length, 40);
  assertEquals(all.flatMap((p) => p.additionals).length, 1);
  assert(all.every((p) => p.response && p.authoritative));
});

Deno.test("records compare by identity regardless of case, TTL and flush", () => {
  const a = record("Alpha._lanspread._udp.local", "PTR", "X.local", { ttl: 1 });
  const b = record("alpha._lanspread._udp.LOCAL", "PTR", "x.local", { ttl: 4500, flush: true });
  assert(sameRecord(a, b));
  assertEquals(recordKey(a), recordKey(b));
  assert(!sameRecord(a, record("alpha._lanspread._udp.local", "PTR", "y.local")));
});

Deno.test("probe tie-break compares class, type, then rdata bytes (RFC 6762 §8.2)", () => {
  const a1 = [record("h.local", "A", "169.254.99.200")];
  const a2 = [record("h.local", "A", "169.254.200.50")];
  // The RFC's own example: 169.254.200.50 wins over 169.254.99.200.
  assert(compareRecordSets(a1, a2) < 0);
  assert(compareRecordSets(a2, a1) > 0);
  assertEquals(compareRecordSets(a1, [...a1]), 0);
  // A longer identical prefix wins.
  assert(compareRecordSets(a1, [...a1, record("h.local", "TXT", txt("x"))]) < 0);
});

Deno.test("building a record with an over-long label is refused", () => {
  const bad = record("x".repeat(64) + ".local", "A", "10.0.0.1");
  assertThrows(
    () => encodePacket(makePacket({ answers: [bad] })),
    Error,
    "not an encodable DNS name",
  );
});

// --- hostile packets -------------------------------------------------------

/** Bytes from hex groups ("0001 c00c") and byte arrays. */
function hex(...parts: (string | number[])[]): number[] {
  return parts.flatMap((p) =>
    typeof p === "string"
      ? (p.replace(/\s+/g, "").match(/../g) ?? []).map((h) => parseInt(h, 16))
      : p
  );
}
const QUERY = (qd: number) => hex(`0000 0000 ${qd.toString(16).padStart(4, "0")} 0000 0000 0000`);
const RESPONSE = (an: number) =>
  hex(`0000 8400 0000 ${an.toString(16).padStart(4, "0")} 0000 0000`);
const LOCAL = "05 6c6f63616c 00"; // "local"
const IN_120 = "0001 00000078"; // class IN, TTL 120

const corpus: [string, number[]][] = [
  ["empty", []],
  ["shorter than a header", hex("0000 0000 0001")],
  ["a question promised but absent", QUERY(1)],
  ["a name cut short", hex(QUERY(1), "05 6c6f")],
  ["a question without type and class", hex(QUERY(1), LOCAL)],
  ["an A record with its rdata cut", hex(RESPONSE(1), LOCAL, "0001", IN_120, "0004 0a00")],
  ["a name pointer to itself", hex(QUERY(1), "c00c 0001 0001")],
  ["a forward name pointer", hex(QUERY(1), "c014 0001 0001 00000000")],
  ["two pointers pointing at each other", hex(QUERY(2), "c012 0001 0001 c00c 0001 0001")],
  ["a pointer past the end", hex(QUERY(1), "c0ff 0001 0001")],
  ["absurd section counts", hex("0000 0000 ffff ffff ffff ffff", LOCAL, "0001 0001")],
  ["reserved label type bits", hex(QUERY(1), "4561 00 0001 0001")],
  [
    "a name longer than 255 bytes",
    hex(QUERY(1), ...new Array(5).fill("3f" + "61".repeat(63)), "00 0001 0001"),
  ],
  ["a TXT string longer than its rdata", hex(RESPONSE(1), LOCAL, "0010", IN_120, "0003 09 6162")],
  ["an SRV record with a short rdata length", hex(RESPONSE(1), LOCAL, "0021", IN_120, "0002 0000")],
  ["a PTR whose target loops", hex(RESPONSE(1), LOCAL, "000c", IN_120, "0002 c01f")],
  ["an NSEC bitmap window past the end", hex(RESPONSE(1), LOCAL, "002f", IN_120, "0004 00 00 c8")],
  ["over 9000 bytes", hex(QUERY(0), new Array(MAX_PACKET_BYTES).fill(0))],
];

for (const [name, bytes] of corpus) {
  Deno.test(`a hostile packet is rejected without throwing: ${name}`, () => {
    const result = decodePacket(new Uint8Array(bytes));
    assert(!result.ok, `decoded: ${JSON.stringify(result)}`);
    assert(result.error.length > 0);
  });
}

Deno.test("random and bit-flipped packets never throw and never take long", () => {
  const random = seededRandom(42);
  const valid = encodePacket(full);
  const started = performance.now();
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = valid.slice();
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      if (random() < 0.3) bytes = bytes.slice(0, Math.floor(random() * bytes.length));
    } else {
      bytes = Uint8Array.from(
        { length: Math.floor(random() * 600) },
        () => Math.floor(random() * 256),
      );
    }
    const result = decodePacket(bytes);
    if (!result.ok) continue;
    accepted++;
    // Whatever decodes is well-formed enough to handle: every record is typed.
    const records: MdnsRecord[] = [...result.packet.answers, ...result.packet.additionals];
    for (const r of records) assert(typeof r.name === "string" && Number.isInteger(r.ttl));
  }
  assert(accepted > 0, "some mutations should still decode");
  assert(performance.now() - started < 5000, "fuzzing took too long");
});

Deno.test("a packet full of names pointing into a long pointer chain decodes quickly", () => {
  // The worst case for pointer chasing within 9000 bytes: record 1 carries a
  // chain of ~3000 backward pointers as opaque rdata; ~250 further records
  // are named by a pointer to the chain's end, so each name walks all of it.
  const chainStart = 12 + 1 + 10;
  const chainBytes = 6001;
  const tail: number[] = [];
  const last = chainStart + chainBytes - 2;
  const records = 240;
  for (let i = 0; i < records; i++) {
    tail.push(0xc0 | (last >> 8), last & 0xff, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 0);
  }
  const bytes = new Uint8Array(chainStart + chainBytes + tail.length);
  bytes.set(RESPONSE(records + 1));
  bytes.set([0, 0xff, 0, 0, 1, 0, 0, 0, 0, chainBytes >> 8, chainBytes & 0xff], 12);
  bytes[chainStart] = 0;
  for (let o = chainStart + 1; o < chainStart + chainBytes; o += 2) {
    const target = o === chainStart + 1 ? chainStart : o - 2;
    bytes.set([0xc0 | (target >> 8), target & 0xff], o);
  }
  bytes.set(tail, chainStart + chainBytes);
  assert(bytes.length <= MAX_PACKET_BYTES);
  const started = performance.now();
  const result = decodePacket(bytes);
  assert(performance.now() - started < 1000, "pointer chasing took too long");
  if (result.ok) assertEquals(result.packet.answers.length, records + 1);
});
