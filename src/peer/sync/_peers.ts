/**
 * The peers we hold a record of (peer_table.ts), by id, and their comings
 * and goings: a finished handshake becomes a record under the
 * one-connection-per-pair rule (duplicate.ts), a closed connection ends one
 * or waits for the other of the pair, and each change is said in the log and
 * the event log. Apart from manager.ts, which owns the transport, the
 * sessions and the loops: this is what a connection means for the table once
 * hello is done.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import { Slots } from "../../common/async.ts";
import { CLOSE, LIMITS } from "../../wire/protocol.ts";
import type { CloseInfo } from "../../wire/transport.ts";
import type { Session } from "../../wire/session.ts";
import type { HandshakeResult, LocalPeer } from "./handshake.ts";
import { type Initiator, listenerAddr, newRecord, type PeerRecord } from "./peer_table.ts";
import { answer, type Answering } from "./requests.ts";
import { keepNewConnection } from "./duplicate.ts";
import type { LibrarySync } from "./library_sync.ts";

/** What the table needs of the manager. */
export interface PeersParts {
  local: LocalPeer;
  log: Logger;
  events: EventLog;
  now(): number;
  sync: LibrarySync;
  /** Who answers a connected peer's requests. */
  answering: Answering;
  /** get-block answers sent to a new peer at once: the manager's setting at that moment. */
  uploadsPerPeer(): number;
  /** Keeps `promise` until shutdown has waited for it. */
  track(promise: Promise<unknown>): void;
  /** Timers that shutdown clears. */
  timers: Set<ReturnType<typeof setTimeout>>;
}

export class Peers {
  readonly #p: PeersParts;
  #records = new Map<string, PeerRecord>();

  constructor(parts: PeersParts) {
    this.#p = parts;
  }

  get(peerId: string): PeerRecord | undefined {
    return this.#records.get(peerId);
  }

  /** Every record, in any state. */
  all(): PeerRecord[] {
    return [...this.#records.values()];
  }

  /** Records of every connected peer (read-only use). */
  connected(): PeerRecord[] {
    return [...this.#records.values()].filter((r) => r.state === "connected");
  }

  recordOf(session: Session): PeerRecord | undefined {
    for (const record of this.#records.values()) if (record.session === session) return record;
    return undefined;
  }

  refused(addr: string, reason: string): void {
    this.#p.log.warn(`refused connection with ${addr}: ${reason}`);
    this.#p.events.emit("peer-refused", { addr, reason });
  }

  /** Turns a finished handshake into a peer record (or a closed connection). */
  settle(session: Session, result: HandshakeResult, initiator: Initiator): PeerRecord | null {
    const seen = `${session.remoteAddr.hostname}:${session.remoteAddr.port}`;
    if (result.kind === "refused") {
      this.refused(seen, result.reason);
      this.#closeSoon(session, CLOSE.unauthorized, result.reason.slice(0, 100));
      return null;
    }
    if (result.peer.peerId === this.#p.local.peerId) {
      session.close(CLOSE.duplicate, "connected to self");
      return null;
    }
    const addr = listenerAddr(result.peer.addr, session.remoteAddr.hostname);
    const existing = this.#records.get(result.peer.peerId);
    const ids = { localId: this.#p.local.peerId, remoteId: result.peer.peerId };
    if (existing?.session && !keepNewConnection(ids, existing.initiator, initiator)) {
      session.close(CLOSE.duplicate, "duplicate connection");
      return existing;
    }
    const old = existing?.session;
    const record = newRecord(result, { session, initiator, addr, now: this.#p.now() }, existing);
    record.uploads ??= new Slots(this.#p.uploadsPerPeer());
    this.#records.set(record.peerId, record);
    old?.close(CLOSE.duplicate, "replaced by a newer connection");
    session.closed.then((info) => this.#closed(record, session, info));
    if (result.kind === "incompatible") {
      if (existing?.state !== "incompatible") this.#announceIncompatible(record);
      return record;
    }
    this.#p.sync.welcome(record, result.page);
    if (!record.announced) {
      record.announced = true;
      this.#p.log.info(`connected to ${record.name} (${record.peerId}) at ${addr}`);
      this.#p.events.emit("peer-connected", { peerId: record.peerId, name: record.name, addr });
    }
    this.#p.track(session.serve((request) => answer(this.#p.answering, record, request)));
    this.#p.sync.push(record);
    return record;
  }

  /** Forgets a peer; `code` null leaves closing the connection to the peer. */
  lost(record: PeerRecord, reason: string, code: number | null = CLOSE.normal): void {
    if (this.#records.get(record.peerId) !== record) return;
    this.#records.delete(record.peerId);
    if (code !== null) record.session?.close(code, reason.slice(0, 100));
    record.session = null;
    this.#p.log.info(`lost ${record.name} (${record.peerId}): ${reason}`);
    this.#p.events.emit("peer-lost", { peerId: record.peerId, reason });
  }

  #announceIncompatible(record: PeerRecord): void {
    const ours = this.#p.local.protocolVersion;
    const { peerId, name, addr, protocolVersion } = record;
    this.#p.log.warn(
      `${name} (${peerId}) at ${addr} is incompatible: ${
        incompatibleMessage(protocolVersion, ours)
      }`,
    );
    this.#p.events.emit("peer-incompatible", {
      peerId,
      name,
      addr,
      protocolVersion,
      ourProtocolVersion: ours,
    });
  }

  /**
   * Closes after the peer had a moment to read our last answer: closing at
   * once would discard it, and a refused peer deserves to know why.
   */
  #closeSoon(session: Session, code: number, reason: string): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1_000);
      this.#p.timers.add(timer);
    });
    this.#p.track(
      Promise.race([session.closed, grace]).then(() => {
        clearTimeout(timer);
        this.#p.timers.delete(timer!);
        session.close(code, reason);
      }),
    );
  }

  #closed(record: PeerRecord, session: Session, info: CloseInfo): void {
    if (this.#records.get(record.peerId) !== record || record.session !== session) return;
    const reason = `connection closed${info.reason ? `: ${info.reason}` : ""}`;
    this.#p.log.debug(`connection to ${record.peerId} closed with code ${info.code}`);
    if (info.code !== CLOSE.duplicate || record.state !== "connected") {
      this.lost(record, reason);
      return;
    }
    // The peer keeps the other connection of the pair; wait for it to settle here too.
    record.state = "connecting";
    record.session = null;
    const timer = setTimeout(() => {
      this.#p.timers.delete(timer);
      if (this.#records.get(record.peerId) === record) this.lost(record, reason);
    }, LIMITS.helloTimeoutMs);
    this.#p.timers.add(timer);
  }
}

export function incompatibleMessage(theirs: number, ours: number): string {
  return `peer speaks protocol version ${theirs}, we speak ${ours}`;
}
