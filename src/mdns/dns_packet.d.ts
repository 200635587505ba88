/**
 * The part of the npm package `dns-packet` (5.x) that `packet.ts` uses.
 * Written by hand so that no `@types` package has to be fetched; every field
 * that a hostile packet can leave missing or malformed is typed as such and
 * re-checked in `packet.ts`.
 *
 * @module
 */
import type { Buffer } from "node:buffer";

/** A question as dns-packet reads and writes it. */
export interface DpQuestion {
  name: string;
  type: string;
  /** "IN", "ANY", ... or "UNKNOWN_<n>" (which is how a QU bit shows up). */
  class?: string;
}

/** A resource record as dns-packet reads and writes it. */
export interface DpAnswer {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  flush?: boolean;
  data?: unknown;
}

/** A whole message. */
export interface DpPacket {
  id?: number;
  type?: "query" | "response";
  /** Header flags without the QR bit. */
  flags?: number;
  questions?: DpQuestion[];
  answers?: DpAnswer[];
  authorities?: DpAnswer[];
  additionals?: DpAnswer[];
}

interface Codec<T> {
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
  encodingLength(value: T): number;
}

interface DnsPacket {
  encode(packet: DpPacket): Buffer;
  decode: ((buf: Buffer) => DpPacket) & { bytes: number };
  question: Codec<DpQuestion>;
  answer: Codec<DpAnswer>;
  /** The rdata codec of a type; its output starts with the 2-byte rdlength. */
  record(type: string): Codec<unknown>;
}

declare const dnsPacket: DnsPacket;
export default dnsPacket;
