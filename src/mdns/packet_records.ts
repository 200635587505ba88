/**
 * Resource records as the mDNS code sees them: typed shapes, checked
 * conversion from and to dns-packet's objects, and the two record relations
 * mDNS needs: identity (same name, type, class and rdata; RFC 6762 §7.1
 * known answers, §10.2 cache-flush) and the lexicographic order used to
 * break simultaneous-probe ties (RFC 6762 §8.2).
 *
 * @module
 */
// @ts-types="./dns_packet.d.ts"
import dnsPacket from "dns-packet";
import type { DpAnswer } from "./dns_packet.d.ts";
import { Buffer } from "node:buffer";

/** SRV rdata (RFC 2782). */
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** NSEC rdata as mDNS uses it: the owner name and the types it has (RFC 6762 §6.1). */
export interface NsecData {
  nextDomain: string;
  rrtypes: string[];
}

/** Any type we do not interpret, kept as dns-packet decoded it. */
export interface OtherData {
  rrtype: string;
  value: unknown;
}

interface Base {
  name: string;
  /** Class without the cache-flush bit; 1 = IN. */
  class: number;
  /** Cache-flush bit (RFC 6762 §10.2). */
  flush: boolean;
  /** Seconds. */
  ttl: number;
}

/** One resource record. */
export type MdnsRecord =
  | (Base & { type: "A"; data: string })
  | (Base & { type: "AAAA"; data: string })
  | (Base & { type: "PTR"; data: string })
  | (Base & { type: "SRV"; data: SrvData })
  | (Base & { type: "TXT"; data: Uint8Array[] })
  | (Base & { type: "NSEC"; data: NsecData })
  | (Base & { type: "OTHER"; data: OtherData });

const encoder = new TextEncoder();
const MAX_TTL = 0x7fffffff;

/** Lower-cased, without a trailing dot: DNS names compare case-insensitively. */
export function nameKey(name: string): string {
  return (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();
}

/** Whether two names are the same DNS name. */
export function sameName(a: string, b: string): boolean {
  return nameKey(a) === nameKey(b);
}

/** Throws unless every label is 1-63 bytes and the whole name fits 255 bytes. */
export function assertEncodableName(name: string): void {
  const labels = nameKey(name).split(".");
  const total = labels.reduce((n, l) => n + encoder.encode(l).length + 1, 1);
  if (total > 255 || labels.some((l) => l.length === 0 || encoder.encode(l).length > 63)) {
    throw new Error(`not an encodable DNS name: ${JSON.stringify(name)}`);
  }
}

/** To dns-packet's shape. Only class IN is ever sent. */
export function toDp(record: MdnsRecord): DpAnswer {
  if (record.class !== 1) throw new Error(`cannot encode record class ${record.class}`);
  assertEncodableName(record.name);
  const base = { name: record.name, class: "IN", ttl: record.ttl, flush: record.flush };
  switch (record.type) {
    case "TXT":
      return { ...base, type: "TXT", data: record.data.map((b) => Buffer.from(b)) };
    case "OTHER":
      return { ...base, type: record.data.rrtype, data: record.data.value };
    case "PTR":
      assertEncodableName(record.data);
      return { ...base, type: record.type, data: record.data };
    case "SRV":
      assertEncodableName(record.data.target);
      return { ...base, type: record.type, data: record.data };
    default:
      return { ...base, type: record.type, data: record.data };
  }
}

const isU16 = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
const isName = (s: unknown): s is string =>
  typeof s === "string" && encoder.encode(s).length <= 255;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

/** From dns-packet's shape, checking every field; a string says what was wrong. */
export function fromDp(raw: DpAnswer, cls: number): MdnsRecord | string {
  if (!isName(raw.name) || typeof raw.type !== "string") return "bad record name or type";
  if (raw.type === "OPT") {
    // EDNS0 pseudo-record (RFC 6891): no class or TTL of its own; kept so
    // the packet parses, never interpreted.
    return {
      name: raw.name,
      type: "OTHER",
      class: 0,
      flush: false,
      ttl: 0,
      data: { rrtype: "OPT", value: null },
    };
  }
  if (!isU16(cls)) return `bad class on ${raw.type} record`;
  const ttl = raw.ttl;
  if (!Number.isInteger(ttl) || (ttl as number) < 0) return "bad ttl";
  const base = {
    name: raw.name,
    class: cls,
    flush: raw.flush === true,
    ttl: Math.min(ttl as number, MAX_TTL),
  };
  const data = raw.data as Record<string, unknown> | string | unknown[] | undefined;
  switch (raw.type) {
    case "A":
      return typeof data === "string" && IPV4.test(data)
        ? { ...base, type: "A", data }
        : "bad A rdata";
    case "AAAA":
      return typeof data === "string" && IPV6.test(data)
        ? { ...base, type: "AAAA", data }
        : "bad AAAA rdata";
    case "PTR":
      return isName(data) ? { ...base, type: "PTR", data } : "bad PTR rdata";
    case "SRV": {
      const d = data as Record<string, unknown> | undefined;
      if (!d || !isU16(d.priority) || !isU16(d.weight) || !isU16(d.port) || !isName(d.target)) {
        return "bad SRV rdata";
      }
      return {
        ...base,
        type: "SRV",
        data: { priority: d.priority, weight: d.weight, port: d.port, target: d.target },
      };
    }
    case "TXT": {
      if (!Array.isArray(data) || !data.every((b) => b instanceof Uint8Array)) {
        return "bad TXT rdata";
      }
      return { ...base, type: "TXT", data: data.map((b: Uint8Array) => new Uint8Array(b)) };
    }
    case "NSEC": {
      const d = data as Record<string, unknown> | undefined;
      if (!d || !isName(d.nextDomain) || !Array.isArray(d.rrtypes)) return "bad NSEC rdata";
      return {
        ...base,
        type: "NSEC",
        data: { nextDomain: d.nextDomain, rrtypes: d.rrtypes.map(String) },
      };
    }
    default:
      return { ...base, type: "OTHER", data: { rrtype: raw.type, value: data } };
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The rdata part of a record's identity; names in rdata compare case-insensitively. */
export function rdataKey(record: MdnsRecord): string {
  switch (record.type) {
    case "A":
    case "AAAA":
      return record.data.toLowerCase();
    case "PTR":
      return nameKey(record.data);
    case "SRV": {
      const d = record.data;
      return `${d.priority} ${d.weight} ${d.port} ${nameKey(d.target)}`;
    }
    case "TXT":
      return record.data.map((b) => `${b.length}:${hex(b)}`).join(",");
    case "NSEC":
      return `${nameKey(record.data.nextDomain)} ${[...record.data.rrtypes].sort().join(",")}`;
    case "OTHER": {
      const v = record.data.value;
      return `${record.data.rrtype}:${v instanceof Uint8Array ? hex(v) : JSON.stringify(v) ?? ""}`;
    }
  }
}

/** Identity of a record: name, type, class and rdata; not TTL, not cache-flush. */
export function recordKey(record: MdnsRecord): string {
  return `${nameKey(record.name)}|${typeName(record)}|${record.class}|${rdataKey(record)}`;
}

/** Whether two records are the same record (RFC 6762 §7.1 known-answer matching). */
export function sameRecord(a: MdnsRecord, b: MdnsRecord): boolean {
  return recordKey(a) === recordKey(b);
}

/** The DNS type name: "A", "SRV", or the original name of an OTHER record. */
export function typeName(record: MdnsRecord): string {
  return record.type === "OTHER" ? record.data.rrtype : record.type;
}

const TYPE_NUMBERS: Record<string, number> = {
  A: 1,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NSEC: 47,
};

function typeNumber(record: MdnsRecord): number {
  const name = typeName(record);
  const unknown = /^UNKNOWN_(\d+)$/.exec(name);
  return TYPE_NUMBERS[name] ?? (unknown ? Number(unknown[1]) : 0xffff);
}

/** Uncompressed rdata bytes, as RFC 6762 §8.2 compares them. */
export function rdataBytes(record: MdnsRecord): Uint8Array {
  try {
    const dp = toDp({ ...record, class: 1 } as MdnsRecord);
    if (record.type === "OTHER" && record.data.value instanceof Uint8Array) {
      return record.data.value;
    }
    return new Uint8Array(dnsPacket.record(dp.type).encode(dp.data).subarray(2));
  } catch {
    return new Uint8Array(0);
  }
}

/** RFC 6762 §8.2 order of two records: class, then type, then rdata bytes. */
export function compareRecords(a: MdnsRecord, b: MdnsRecord): number {
  if (a.class !== b.class) return a.class - b.class;
  const ta = typeNumber(a);
  const tb = typeNumber(b);
  if (ta !== tb) return ta - tb;
  const ra = rdataBytes(a);
  const rb = rdataBytes(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  }
  return ra.length - rb.length;
}

/**
 * Compares two probers' proposed record sets for one name (RFC 6762 §8.2):
 * both sorted, then compared pairwise; the first difference decides, and a
 * set that runs out first is the earlier. Negative: `ours` loses.
 */
export function compareRecordSets(ours: MdnsRecord[], theirs: MdnsRecord[]): number {
  const a = [...ours].sort(compareRecords);
  const b = [...theirs].sort(compareRecords);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareRecords(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
