/**
 * Helpers for the mDNS unit tests (not part of the module's API).
 *
 * @module
 */
import {
  decodePacket,
  makePacket,
  type MdnsPacket,
  type MdnsQuestion,
  type MdnsRecord,
} from "./packet.ts";
import type { Datagram, Endpoint, Received } from "./types.ts";

export const IFACE = "eth0/10.77.0.2";
export const OTHER_HOST: Endpoint = { hostname: "10.77.0.9", port: 5353 };

/** Wraps a packet as if it arrived on {@linkcode IFACE}. */
export function received(
  fields: Partial<MdnsPacket>,
  from: Endpoint = OTHER_HOST,
  unicast = false,
): Received {
  return { packet: makePacket(fields), from, iface: IFACE, unicast };
}

/** A question with defaults (class IN, QM). */
export function question(name: string, type: string, qu = false): MdnsQuestion {
  return { name, type, class: 1, qu };
}

/** Decodes a datagram, failing loudly if it does not decode. */
export function decoded(datagram: Datagram | Uint8Array): MdnsPacket {
  const result = decodePacket(datagram instanceof Uint8Array ? datagram : datagram.data);
  if (!result.ok) throw new Error(`own packet does not decode: ${result.error}`);
  return result.packet;
}

/** All records of all sections of some datagrams. */
export function recordsOf(datagrams: Datagram[]): MdnsRecord[] {
  return datagrams.flatMap((d) => {
    const p = decoded(d);
    return [...p.answers, ...p.authorities, ...p.additionals];
  });
}

/** A record with defaults (class IN, no flush, TTL 120). */
export function record<T extends MdnsRecord["type"]>(
  name: string,
  type: T,
  data: Extract<MdnsRecord, { type: T }>["data"],
  extra: Partial<Pick<MdnsRecord, "ttl" | "flush">> = {},
): MdnsRecord {
  return { name, type, data, class: 1, flush: false, ttl: 120, ...extra } as MdnsRecord;
}

const text = new TextEncoder();

/** TXT strings from plain strings. */
export function txt(...strings: string[]): Uint8Array[] {
  return strings.map((s) => text.encode(s));
}
