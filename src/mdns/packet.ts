/**
 * Multicast DNS packet codec: pure functions from bytes to packets and back.
 * It knows no socket and no clock (as `dns-packet` is to `multicast-dns`).
 *
 * `dns-packet` does the DNS wire format (RFC 1035). This module adds what
 * mDNS needs on top of it:
 * - the unicast-response ("QU") bit, the top bit of a question's class
 *   (RFC 6762 §5.4, §18.12), which dns-packet 5.x cannot read or write;
 * - the cache-flush bit, the top bit of a record's class (RFC 6762 §10.2,
 *   §18.13), exposed as `flush`;
 * - defensive decoding: any byte string yields either a packet whose every
 *   field has been checked, or an error string. Nothing throws past
 *   {@linkcode decodePacket}: hostile packets are data, not exceptions;
 * - the 9000-byte limit of RFC 6762 §17 and splitting of large messages,
 *   with the TC bit on all but the last packet of a multi-packet known-answer
 *   list (RFC 6762 §7.2).
 *
 * @module
 */
// @ts-types="./dns_packet.d.ts"
import dnsPacket from "dns-packet";
import type { DpAnswer, DpPacket, DpQuestion } from "./dns_packet.d.ts";
import { Buffer } from "node:buffer";
import { fromDp, toDp } from "./packet_records.ts";
import type { MdnsRecord } from "./packet_records.ts";
import { errorMessage } from "../common/errors.ts";

export * from "./packet_records.ts";

/** Largest mDNS message, RFC 6762 §17. */
export const MAX_PACKET_BYTES = 9000;
/** What we put in one datagram: fits a 1500-byte Ethernet (or a VPN) MTU. */
export const DEFAULT_MAX_SEND_BYTES = 1400;

const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const QU_BIT = 0x8000;
const HEADER_BYTES = 12;

/** One question; `qu` asks for a unicast response (RFC 6762 §5.4). */
export interface MdnsQuestion {
  name: string;
  type: string;
  /** 1 = IN, 255 = ANY; without the QU bit. */
  class: number;
  qu: boolean;
}

/** One mDNS message. */
export interface MdnsPacket {
  id: number;
  response: boolean;
  authoritative: boolean;
  truncated: boolean;
  opcode: number;
  rcode: number;
  questions: MdnsQuestion[];
  answers: MdnsRecord[];
  authorities: MdnsRecord[];
  additionals: MdnsRecord[];
}

/** Result of {@linkcode decodePacket}. */
export type DecodeResult = { ok: true; packet: MdnsPacket } | { ok: false; error: string };

/** A packet with defaults: a query with nothing in it. */
export function makePacket(fields: Partial<MdnsPacket>): MdnsPacket {
  return {
    id: 0,
    response: false,
    authoritative: false,
    truncated: false,
    opcode: 0,
    rcode: 0,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  };
}

function dpQuestion(q: MdnsQuestion): DpQuestion {
  if (q.class !== 1 && q.class !== 255) throw new Error(`cannot encode question class ${q.class}`);
  return { name: q.name, type: q.type, class: q.class === 255 ? "ANY" : "IN" };
}

/** Encodes one packet. Throws only on records we built wrongly (a bug). */
export function encodePacket(packet: MdnsPacket): Uint8Array {
  const flags = ((packet.opcode & 0xf) << 11) | (packet.authoritative ? FLAG_AA : 0) |
    (packet.truncated ? FLAG_TC : 0) | (packet.rcode & 0xf);
  const questions = packet.questions.map(dpQuestion);
  const buf = dnsPacket.encode({
    id: packet.id,
    type: packet.response ? "response" : "query",
    flags,
    questions,
    answers: packet.answers.map(toDp),
    authorities: packet.authorities.map(toDp),
    additionals: packet.additionals.map(toDp),
  });
  // dns-packet never compresses names, so each question's class field sits at
  // a computable offset: set the QU bits there.
  let offset = HEADER_BYTES;
  for (const [i, q] of questions.entries()) {
    offset += dnsPacket.question.encodingLength(q);
    if (packet.questions[i]?.qu) buf[offset - 2] = buf[offset - 2]! | (QU_BIT >> 8);
  }
  return new Uint8Array(buf);
}

/** Encoded size of one record, to split messages before encoding them. */
export function recordBytes(record: MdnsRecord): number {
  return dnsPacket.answer.encodingLength(toDp(record));
}

function questionBytes(q: MdnsQuestion): number {
  return dnsPacket.question.encodingLength(dpQuestion(q));
}

/**
 * Encodes a query, spreading known answers over as many packets as needed;
 * every packet but the last has TC set (RFC 6762 §7.2).
 */
export function encodeQuery(
  questions: MdnsQuestion[],
  knownAnswers: MdnsRecord[],
  maxBytes = DEFAULT_MAX_SEND_BYTES,
): Uint8Array[] {
  const packets: MdnsPacket[] = [makePacket({ questions })];
  let size = HEADER_BYTES + questions.reduce((n, q) => n + questionBytes(q), 0);
  for (const record of knownAnswers) {
    const bytes = recordBytes(record);
    const current = packets[packets.length - 1]!;
    if (size + bytes > maxBytes && current.answers.length + current.questions.length > 0) {
      current.truncated = true;
      packets.push(makePacket({}));
      size = HEADER_BYTES;
    }
    packets[packets.length - 1]!.answers.push(record);
    size += bytes;
  }
  return packets.map(encodePacket);
}

/**
 * Encodes a response, splitting answers over several packets when needed.
 * Additional records go where they fit and are dropped otherwise: they are
 * an optimisation (RFC 6763 §12), never required.
 */
export function encodeResponse(options: {
  base: Partial<MdnsPacket>;
  answers: MdnsRecord[];
  additionals: MdnsRecord[];
  /** @default {DEFAULT_MAX_SEND_BYTES} */
  maxBytes?: number;
}): Uint8Array[] {
  const { base, answers, additionals, maxBytes = DEFAULT_MAX_SEND_BYTES } = options;
  const head = { ...base, response: true, authoritative: true };
  const questionSize = (base.questions ?? []).reduce((n, q) => n + questionBytes(q), 0);
  const packets: MdnsPacket[] = [makePacket({ ...head, answers: [] })];
  const sizes = [HEADER_BYTES + questionSize];
  for (const record of answers) {
    const bytes = recordBytes(record);
    const last = packets.length - 1;
    if (sizes[last]! + bytes > maxBytes && packets[last]!.answers.length > 0) {
      packets.push(makePacket({ ...head, answers: [] }));
      sizes.push(HEADER_BYTES + questionSize);
    }
    packets[packets.length - 1]!.answers.push(record);
    sizes[sizes.length - 1]! += bytes;
  }
  for (const record of additionals) {
    const bytes = recordBytes(record);
    const index = sizes.findIndex((s) => s + bytes <= maxBytes);
    if (index < 0) continue;
    packets[index]!.additionals.push(record);
    sizes[index]! += bytes;
  }
  return packets.map(encodePacket);
}

/** "IN" -> 1, "UNKNOWN_32769" -> 32769, ...; NaN for anything else. */
function classNumber(name: unknown): number {
  if (typeof name !== "string") return NaN;
  const known: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, ANY: 255 };
  if (name in known) return known[name]!;
  const match = /^UNKNOWN_(\d{1,5})$/.exec(name);
  return match ? Number(match[1]) : NaN;
}

function validName(name: unknown): name is string {
  return typeof name === "string" && new TextEncoder().encode(name).length <= 255;
}

function readQuestion(raw: DpQuestion): MdnsQuestion | string {
  const cls = classNumber(raw.class);
  if (!validName(raw.name) || typeof raw.type !== "string") return "bad question";
  if (!(cls >= 0 && cls <= 0xffff)) return "bad question class";
  return { name: raw.name, type: raw.type, class: cls & ~QU_BIT, qu: (cls & QU_BIT) !== 0 };
}

/**
 * Decodes one datagram. Never throws: a malformed packet (truncated, name
 * compression loop, absurd section counts, oversized names, rdata that does
 * not parse) gives `{ ok: false, error }`.
 */
export function decodePacket(bytes: Uint8Array): DecodeResult {
  const fail = (error: string): DecodeResult => ({ ok: false, error });
  if (bytes.length < HEADER_BYTES) return fail(`${bytes.length} bytes: shorter than a header`);
  if (bytes.length > MAX_PACKET_BYTES) {
    return fail(`${bytes.length} bytes: over ${MAX_PACKET_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = [4, 6, 8, 10].map((o) => view.getUint16(o));
  // A question takes at least 5 bytes, a record at least 11: reject counts the
  // datagram cannot hold before dns-packet allocates arrays for them.
  const minimum = counts[0]! * 5 + (counts[1]! + counts[2]! + counts[3]!) * 11;
  if (HEADER_BYTES + minimum > bytes.length) return fail(`section counts ${counts} exceed size`);
  let raw: DpPacket;
  try {
    raw = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    return fail(`malformed: ${errorMessage(error)}`);
  }
  const consumed = dnsPacket.decode.bytes;
  if (!Number.isInteger(consumed) || consumed > bytes.length) return fail("truncated record");
  const flags = view.getUint16(2);
  const packet = makePacket({
    id: view.getUint16(0),
    response: (flags & 0x8000) !== 0,
    authoritative: (flags & FLAG_AA) !== 0,
    truncated: (flags & FLAG_TC) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
  });
  for (const q of raw.questions ?? []) {
    const question = q ? readQuestion(q) : "missing question";
    if (typeof question === "string") return fail(question);
    packet.questions.push(question);
  }
  const sections = [
    [raw.answers, packet.answers],
    [raw.authorities, packet.authorities],
    [raw.additionals, packet.additionals],
  ] as const;
  for (const [from, to] of sections) {
    for (const r of (from ?? []) as (DpAnswer | undefined)[]) {
      const record = r ? fromDp(r, classNumber(r.class)) : "missing record";
      if (typeof record === "string") return fail(record);
      to.push(record);
    }
  }
  return { ok: true, packet };
}
