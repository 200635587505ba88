/**
 * lanspread's DNS-SD records (RFC 6763): names, TXT contents and the record
 * set one peer owns on one interface.
 *
 * - Service type `_lanspread._udp.local` (RFC 6763 §7); the instance label is
 *   the peer's name (§4.1), the host name is derived from the peer id so that
 *   it is stable and practically unique.
 * - PTR `_lanspread._udp.local` -> instance (shared, 4500 s), PTR
 *   `_services._dns-sd._udp.local` -> service type (shared, §9), SRV instance
 *   -> host:QUIC port (unique, 120 s), TXT instance (unique, 4500 s), A host
 *   -> this interface's address (unique, 120 s; RFC 6762 §14 answers per
 *   interface), NSEC host -> "only A here" (RFC 6762 §6.1).
 *   TTLs follow RFC 6762 §10: 120 s for records naming a host, 4500 s else.
 * - TXT: `id=<peer id>`, `pv=<protocol version>`, `rev=<library revision>`
 *   (RFC 6763 §6: key=value strings, keys case-insensitive, first wins),
 *   kept under 200 bytes (§6.2).
 *
 * @module
 */
import { PeerId } from "../wire/protocol.ts";
import type { MdnsRecord } from "./packet.ts";
import { nameKey } from "./packet.ts";

export const SERVICE_TYPE = "_lanspread._udp.local";
export const SERVICES_ENUMERATION = "_services._dns-sd._udp.local";
/** TTL of records that name a host (SRV, A, NSEC), RFC 6762 §10. */
export const HOST_TTL = 120;
/** TTL of every other record (PTR, TXT), RFC 6762 §10. */
export const OTHER_TTL = 4500;
/** Highest TTL in a legacy unicast reply, RFC 6762 §6.7. */
export const LEGACY_TTL = 10;
/** Upper bound of our TXT rdata, RFC 6763 §6.2. */
export const MAX_TXT_BYTES = 200;
const MAX_LABEL_BYTES = 63;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a peer publishes in its TXT record. */
export interface TxtFields {
  peerId: string;
  protocolVersion: number;
  rev: number;
}

/** Our TXT strings; throws if they would not fit {@linkcode MAX_TXT_BYTES}. */
export function encodeTxt(fields: TxtFields): Uint8Array[] {
  const strings = [`id=${fields.peerId}`, `pv=${fields.protocolVersion}`, `rev=${fields.rev}`]
    .map((s) => encoder.encode(s));
  const size = strings.reduce((n, s) => n + s.length + 1, 0);
  if (size >= MAX_TXT_BYTES) throw new Error(`TXT record of ${size} bytes`);
  return strings;
}

/** key -> value (null for a bare key); keys lower-cased; first occurrence wins (RFC 6763 §6.4). */
export function parseTxt(strings: Uint8Array[]): Map<string, string | null> {
  const result = new Map<string, string | null>();
  for (const bytes of strings) {
    const text = decoder.decode(bytes);
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key.length === 0 || result.has(key)) continue;
    result.set(key, eq < 0 ? null : text.slice(eq + 1));
  }
  return result;
}

function nonNegativeInt(value: string | null | undefined): number | null {
  if (value == null || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/** The lanspread fields of a TXT record, or null if any is missing or malformed. */
export function parsePeerTxt(strings: Uint8Array[]): TxtFields | null {
  const map = parseTxt(strings);
  const peerId = map.get("id");
  const protocolVersion = nonNegativeInt(map.get("pv"));
  const rev = nonNegativeInt(map.get("rev"));
  if (!PeerId.safeParse(peerId).success || protocolVersion === null || rev === null) return null;
  return { peerId: peerId as string, protocolVersion, rev };
}

function truncateUtf8(text: string, maxBytes: number): string {
  let out = "";
  for (const char of text) {
    if (encoder.encode(out + char).length > maxBytes) break;
    out += char;
  }
  return out;
}

/**
 * A peer name made into an instance label: no control characters (RFC 6763
 * §4.3), at most 63 bytes, and no "." (dns-packet splits names on dots and
 * cannot put one inside a label, so it becomes U+2024, which looks alike).
 */
export function instanceLabel(name: string): string {
  // deno-lint-ignore no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, "").replaceAll(".", "\u2024").trim();
  return truncateUtf8(clean, MAX_LABEL_BYTES).trim() || "lanspread";
}

/** The next name after a conflict: "name" -> "name (2)" -> "name (3)" (RFC 6763 §9 style). */
export function nextInstanceLabel(label: string): string {
  const match = /^(.*) \((\d{1,6})\)$/.exec(label);
  const base = match ? match[1]! : label;
  const suffix = ` (${match ? Number(match[2]) + 1 : 2})`;
  return truncateUtf8(base, MAX_LABEL_BYTES - suffix.length) + suffix;
}

/** `lanspread-<peer id>.local`, then `-2`, `-3` after conflicts. */
export function hostName(peerId: string, attempt = 1): string {
  return `lanspread-${peerId}${attempt > 1 ? `-${attempt}` : ""}.local`;
}

/** Full name of an instance. */
export function instanceName(label: string): string {
  return `${label}.${SERVICE_TYPE}`;
}

/** The instance label of a full service instance name of our type, or null. */
export function labelOf(fullName: string): string | null {
  const key = nameKey(fullName);
  const suffix = `.${SERVICE_TYPE}`;
  if (!key.endsWith(suffix)) return null;
  const name = fullName.endsWith(".") ? fullName.slice(0, -1) : fullName;
  const label = name.slice(0, name.length - suffix.length);
  return label.length > 0 ? label : null;
}

/** Everything one peer publishes. */
export interface ServiceIdentity {
  /** Instance label after conflict resolution. */
  label: string;
  /** Host name after conflict resolution, e.g. `lanspread-<id>.local`. */
  host: string;
  /** QUIC port for SRV. */
  port: number;
  txt: TxtFields;
}

/** Our records on one interface, each role by name. */
export interface OwnRecords {
  ptr: MdnsRecord;
  enumeration: MdnsRecord;
  srv: MdnsRecord;
  txt: MdnsRecord;
  a: MdnsRecord;
  nsec: MdnsRecord;
}

/** Our records as answered on an interface with `address`. */
export function ownRecords(id: ServiceIdentity, address: string): OwnRecords {
  const instance = instanceName(id.label);
  const common = { class: 1 } as const;
  return {
    ptr: {
      ...common,
      name: SERVICE_TYPE,
      type: "PTR",
      flush: false,
      ttl: OTHER_TTL,
      data: instance,
    },
    enumeration: {
      ...common,
      name: SERVICES_ENUMERATION,
      type: "PTR",
      flush: false,
      ttl: OTHER_TTL,
      data: SERVICE_TYPE,
    },
    srv: {
      ...common,
      name: instance,
      type: "SRV",
      flush: true,
      ttl: HOST_TTL,
      data: { priority: 0, weight: 0, port: id.port, target: id.host },
    },
    txt: {
      ...common,
      name: instance,
      type: "TXT",
      flush: true,
      ttl: OTHER_TTL,
      data: encodeTxt(id.txt),
    },
    a: { ...common, name: id.host, type: "A", flush: true, ttl: HOST_TTL, data: address },
    nsec: {
      ...common,
      name: id.host,
      type: "NSEC",
      flush: true,
      ttl: HOST_TTL,
      data: { nextDomain: id.host, rrtypes: ["A"] },
    },
  };
}

/** Whether a record is shared (many owners may hold one name; RFC 6762 §2). */
export function isShared(record: MdnsRecord): boolean {
  return record.type === "PTR";
}
