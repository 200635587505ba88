/**
 * Shapes shared by the pure mDNS state machines (responder, browser, core)
 * and the socket driver. The state machines take packets and the current
 * time in, and give datagrams out; they never touch a socket or a timer.
 *
 * @module
 */
import type { MdnsPacket } from "./packet.ts";

/** An IPv4 address and UDP port. */
export interface Endpoint {
  hostname: string;
  port: number;
}

/** Where a datagram goes: the mDNS group on its interface, or one host. */
export type Destination = "multicast" | Endpoint;

/** An interface we answer on: a stable id and its IPv4 address. */
export interface IfaceAddress {
  /** `name/address`, e.g. `eth0/10.0.0.2`. */
  id: string;
  address: string;
  /**
   * Changes when the interface was re-created under the same name and
   * address (the device went away and came back): it counts as new then,
   * and is announced on again. @default {0}
   */
  generation?: number;
}

/** A decoded packet and where it came from. */
export interface Received {
  packet: MdnsPacket;
  from: Endpoint;
  /** Interface id it arrived on. */
  iface: string;
  /** True if it was sent to our unicast address rather than to the group. */
  unicast: boolean;
}

/** One datagram to send. */
export interface Datagram {
  iface: string;
  to: Destination;
  data: Uint8Array;
}

/** The mDNS IPv4 group and port, RFC 6762 §3. */
export const MDNS_GROUP = "224.0.0.251";
export const MDNS_PORT = 5353;

/** Uniform random number in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

/** What a transport reports to its user. */
export interface TransportHandlers {
  /** A datagram from `from`, on interface id `iface`; `unicast` if addressed to us, not the group. */
  onDatagram(data: Uint8Array, from: Endpoint, iface: string, unicast: boolean): void;
  /** The transport can no longer receive; the user should stop and report. */
  onFatal(error: Error): void;
}

/** Moves datagrams for the mDNS core: UDP sockets in `socket.ts`, or a fake in tests. */
export interface MdnsTransport {
  /** Binds; rejects if mDNS cannot run at all (port unavailable, no permission). */
  open(handlers: TransportHandlers): Promise<void>;
  /** Re-reads the interfaces, joining new ones and leaving vanished ones; returns the current list. */
  refresh(): Promise<IfaceAddress[]>;
  /** Sends one datagram; rejects if its interface cannot send. */
  send(datagram: Datagram): Promise<void>;
  /** Closes everything and waits for receive loops to end. */
  close(): Promise<void>;
}
