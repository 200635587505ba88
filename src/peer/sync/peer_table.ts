/**
 * What the table of known peers (_peers.ts, keyed by peer id) holds: a
 * peer's record and its view. A peer is recorded by its id and its
 * advertised listener address, never by the ephemeral source address of an
 * inbound connection (README "How peers talk").
 *
 * @module
 */
import type { LibraryDelta, LibrarySnapshot } from "../../wire/library_schemas.ts";
import type { Slots } from "../../common/async.ts";
import { Liveness } from "./liveness.ts";
import type { Session } from "../../wire/session.ts";
import type { HandshakeResult } from "./handshake.ts";
import type { Initiator } from "./duplicate.ts";

export type PeerState = "connecting" | "connected" | "incompatible" | "unreachable";

export type { Initiator };

/** Everything we hold about one peer. */
export interface PeerRecord {
  peerId: string;
  name: string;
  /** Listener address, "host:port". */
  addr: string;
  state: PeerState;
  protocolVersion: number;
  /** Their library as we last learned it. */
  library: LibrarySnapshot;
  session: Session | null;
  initiator: Initiator;
  liveness: Liveness | null;
  /** Our library as they last received it (deltas are diffs from this). */
  sent: LibrarySnapshot | null;
  /** The snapshot whose pages they are fetching (hello's, or their last get-library's). */
  serving: LibrarySnapshot | null;
  pushing: boolean;
  pushAgain: boolean;
  /** Their library being fetched page by page, while it is. */
  fetching: Promise<void> | null;
  /** Fetch once more after the current fetch: their library moved meanwhile. */
  fetchAgain: boolean;
  /** Deltas that arrived during a fetch, applied after it. */
  queued: LibraryDelta[];
  /** What of their library we do not show (too many games, refused games), or null. */
  libraryNote: string | null;
  connectedAt: number;
  /** peer-connected was emitted and no peer-lost since. */
  announced: boolean;
  /** Slots for get-block answers being sent to this peer (the per-peer upload cap). */
  uploads: Slots | null;
}

/** What the harness and the web page show of a peer. */
export interface PeerView {
  peerId: string;
  name: string;
  addr: string;
  state: PeerState;
  protocolVersion: number;
  rev: number;
  /** Ids of the games the peer offers. */
  games: string[];
  /** What of the peer's library is not shown, and why (too many games, refused ones). */
  libraryNote?: string;
  /** Frame bytes sent to / received from the peer on the current connection. */
  bytesSent: number;
  bytesReceived: number;
  /** Smoothed round-trip time of pings (measured every 15 s, liveness.ts), ms; null before the first. */
  rttMs: number | null;
}

export function viewOf(record: PeerRecord): PeerView {
  return {
    peerId: record.peerId,
    name: record.name,
    addr: record.addr,
    state: record.state,
    protocolVersion: record.protocolVersion,
    rev: record.library.rev,
    games: record.library.games.map((g) => g.id),
    ...(record.libraryNote ? { libraryNote: record.libraryNote } : {}),
    bytesSent: record.session?.traffic.sent ?? 0,
    bytesReceived: record.session?.traffic.received ?? 0,
    rttMs: record.liveness?.rttMs ?? null,
  };
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** "host:port" with IPv6 hosts in brackets. */
export function formatAddr(hostname: string, port: number): string {
  const host = hostname.startsWith("::ffff:") && hostname.includes(".")
    ? hostname.slice(7)
    : hostname;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits "host:port" (IPv6 hosts in brackets); null when malformed. */
export function parseAddr(addr: string): { hostname: string; port: number } | null {
  const match = addr.match(/^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/);
  if (!match) return null;
  const port = Number(match[3]);
  const hostname = match[1] ?? match[2] ?? "";
  if (!hostname || port < 1 || port > 65535) return null;
  return { hostname, port };
}

/**
 * The address to record for a peer: its advertised listener address, with a
 * wildcard host ("listening everywhere") replaced by the address we see it at.
 */
export function listenerAddr(advertised: string, seenHost: string): string {
  const parsed = parseAddr(advertised);
  if (!parsed) return advertised;
  if (WILDCARDS.has(parsed.hostname)) return formatAddr(seenHost, parsed.port);
  return formatAddr(parsed.hostname, parsed.port);
}

const EMPTY: LibrarySnapshot = { rev: 0, games: [] };

/**
 * The record of a peer after a finished handshake. What outlives one
 * connection (whether peer-connected was announced, the upload slots)
 * carries over from the record it replaces.
 */
export function newRecord(
  result: Exclude<HandshakeResult, { kind: "refused" }>,
  via: { session: Session; initiator: Initiator; addr: string; now: number },
  existing: PeerRecord | undefined,
): PeerRecord {
  const ok = result.kind === "ok";
  return {
    peerId: result.peer.peerId,
    name: result.peer.name,
    addr: via.addr,
    state: ok ? "connected" : "incompatible",
    protocolVersion: result.peer.protocolVersion,
    // Filled from the first page by LibrarySync.welcome.
    library: EMPTY,
    session: via.session,
    initiator: via.initiator,
    liveness: ok ? new Liveness(via.now) : null,
    sent: ok ? result.sent : null,
    serving: ok ? result.sent : null,
    pushing: false,
    pushAgain: false,
    fetching: null,
    fetchAgain: false,
    queued: [],
    libraryNote: null,
    connectedAt: via.now,
    announced: existing?.announced ?? false,
    uploads: existing?.uploads ?? null,
  };
}
