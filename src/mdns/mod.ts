/**
 * Zero-configuration discovery of lanspread peers over mDNS/DNS-SD
 * (RFC 6762, RFC 6763), written by hand on `dns-packet`.
 *
 * The peer runtime uses {@linkcode Discovery}; the rest is exported for
 * tests, tools and the benchmark.
 *
 * | file | role | I/O |
 * |---|---|---|
 * | `packet.ts`, `packet_records.ts` | wire codec: QU and cache-flush bits, hostile-input checks, splitting | none |
 * | `records.ts` | `_lanspread._udp.local` names, TXT fields, TTLs | none |
 * | `answers.ts`, `probing.ts` | what to answer; probe, tie-break and conflict decisions | none |
 * | `responder.ts` | probing, tie-breaks, conflicts: whether we own our names | none (time is an input) |
 * | `_answering.ts`, `multicast_queue.ts` | answering, announcing, goodbyes once we do: timing and routes | none (time is an input) |
 * | `cache.ts`, `cache_peers.ts`, `browser.ts` | record cache, the peers it describes, continuous querying | none (time is an input) |
 * | `core.ts` | responder + browser behind one packet entry point | none |
 * | `interfaces.ts` | interface choice, source-address checks | none |
 * | `socket.ts` | UDP sockets, multicast membership | the only UDP in lanspread |
 * | `discovery.ts`, `_discovery_run.ts` | the service, and one run of it: real time, timers, the transport | timers |
 * | `simulation.ts` | in-memory link with a simulated clock | none |
 *
 * @module
 */
export { Discovery } from "./discovery.ts";
export type { DiscoveredPeer, DiscoveryOptions, DiscoveryStatus } from "./discovery.ts";
export type { CoreStats } from "./core.ts";
export { MdnsCore } from "./core.ts";
export { UdpTransport } from "./socket.ts";
export type { UdpTransportOptions } from "./socket.ts";
export { SimLink } from "./simulation.ts";
export { SERVICE_TYPE } from "./records.ts";
export { decodePacket, encodePacket } from "./packet.ts";
export type { MdnsPacket, MdnsQuestion, MdnsRecord } from "./packet.ts";
export type { Datagram, MdnsTransport, TransportHandlers } from "./types.ts";
