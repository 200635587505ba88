/**
 * The peer manager: every connection to every peer, from TLS to goodbye.
 *
 * - One connection per peer pair. When two exist (both dialled at once), both
 *   ends keep the one opened by the peer with the smaller id; between two of
 *   the same opener the newer wins (the old one is from before a restart).
 * - Libraries: the first page of a snapshot in hello, the rest fetched, then
 *   deltas (or library-changed) pushed on change (library_sync.ts).
 * - Liveness: pings only when a peer is idle; a silent peer is dropped.
 * - Goodbye on shutdown, so others drop us at once.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage, LanspreadError } from "../../common/errors.ts";
import { CLOSE, LIMITS } from "../../wire/protocol.ts";
import { PARTY_SERVER_NAME, peerServerName } from "../../trust/party.ts";
import type { CloseInfo, Connection, HostPort, Transport } from "../../wire/transport.ts";
import { delay, Slots } from "../../common/async.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import {
  clientHello,
  type HandshakeResult,
  type LocalPeer,
  SELF_REFUSAL,
  serverHello,
} from "./handshake.ts";
import {
  type Initiator,
  listenerAddr,
  newRecord,
  type PeerRecord,
  type PeerView,
  viewOf,
} from "./peer_table.ts";
import { Session } from "../../wire/session.ts";
import type { LibraryPort } from "./serve.ts";
import { answer, type Answering } from "./requests.ts";
import { keepNewConnection } from "./duplicate.ts";
import { LibrarySync } from "./library_sync.ts";
import { RateGate } from "../../common/rate_limit.ts";

export interface PeerManagerOptions {
  local: LocalPeer;
  transport: Transport;
  library: LibraryPort;
  events: EventLog;
  log: Logger;
  /** @default {Date.now} */
  now?: () => number;
  /** How often liveness is checked. @default {250} */
  livenessTickMs?: number;
  /** Upload cap shared by all peers. @default {unlimited} */
  uploadGate?: RateGate;
  /** get-block answers sent to one peer at once; more wait their turn. @default {8} */
  uploadsPerPeer?: number;
}

/** Why {@linkcode PeerManager.connect} failed. */
export class ConnectError extends LanspreadError {
  override name = "ConnectError";
  constructor(
    code: "unreachable" | "unauthorized" | "version-mismatch" | "bad-request",
    message: string,
  ) {
    super(code, message);
  }
}

export class PeerManager {
  #o: Required<PeerManagerOptions>;
  #peers = new Map<string, PeerRecord>();
  #sync: LibrarySync;
  #pendingServes = new Set<Promise<unknown>>();
  /** Every open connection, in any state, so shutdown can close them all. */
  #sessions = new Set<Session>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Block answers are read into these: a seed's memory stays flat however much it sends. */
  #buffers = new BufferPool();
  /** Who answers a connected peer's requests. */
  #answering: Answering;

  constructor(options: PeerManagerOptions) {
    // `??`, not a spread: an option passed as undefined must not erase its default.
    this.#o = {
      ...options,
      now: options.now ?? Date.now,
      livenessTickMs: options.livenessTickMs ?? 250,
      uploadGate: options.uploadGate ?? new RateGate(undefined),
      uploadsPerPeer: options.uploadsPerPeer ?? 8,
    };
    this.#sync = new LibrarySync({
      library: options.library,
      events: options.events,
      log: options.log,
    });
    this.#answering = {
      library: this.#o.library,
      sync: this.#sync,
      uploadGate: this.#o.uploadGate,
      buffers: this.#buffers,
      // Drop the peer now; it closes the connection once it has our answer.
      goodbye: (record) => this.#lost(record, "goodbye", null),
    };
  }

  get local(): LocalPeer {
    return this.#o.local;
  }

  /** How many block answers go to one peer at once, from now on, for every peer. */
  setUploadsPerPeer(slots: number): void {
    this.#o.uploadsPerPeer = slots;
    for (const record of this.#peers.values()) record.uploads?.resize(slots);
  }

  /** Our name in every hello from now on (peers already connected learn it when they reconnect). */
  rename(name: string): void {
    this.#o.local.name = name;
  }

  /** Peers as the harness lists them (peers that left are not listed). */
  peers(): PeerView[] {
    return [...this.#peers.values()].map(viewOf).sort((a, b) => a.peerId < b.peerId ? -1 : 1);
  }

  /** The live session of a connected peer, for requests (downloads). */
  session(peerId: string): Session | null {
    const record = this.#peers.get(peerId);
    return record?.state === "connected" ? record.session : null;
  }

  /** Records of every connected peer (read-only use). */
  connected(): PeerRecord[] {
    return [...this.#peers.values()].filter((r) => r.state === "connected");
  }

  /** Accepts connections, checks liveness and pushes library changes until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.#o.library.onChange(() => {
      for (const record of this.connected()) this.#sync.push(record);
    });
    const accepting = this.#o.transport.accept(
      (conn) => this.#track(this.#inbound(conn, signal)),
      (reason) => this.#refused("an incoming connection", reason),
    );
    try {
      await Promise.race([accepting, this.#livenessLoop(signal)]);
    } finally {
      unsubscribe();
    }
  }

  /** Dials `target` and completes hello; resolves with the peer once connected. */
  async connect(target: HostPort, expectedId: string | null, signal?: AbortSignal) {
    const serverName = expectedId ? peerServerName(expectedId) : PARTY_SERVER_NAME;
    let conn: Connection;
    try {
      conn = await this.#o.transport.connect({ ...target, serverName, signal });
    } catch (error) {
      throw new ConnectError("unreachable", errorMessage(error));
    }
    const session = this.#session(conn);
    const result = await clientHello(session, this.#o.local, { expectedId, signal });
    const record = this.#settle(session, result, "local");
    if (result.kind === "incompatible") {
      throw new ConnectError(
        "version-mismatch",
        incompatibleMessage(result.peer.protocolVersion, this.#o.local.protocolVersion),
      );
    }
    if (result.kind === "refused") throw new ConnectError(result.code, result.reason);
    if (!record) {
      const self = result.peer.peerId === this.#o.local.peerId;
      throw new ConnectError(
        self ? "bad-request" : "unauthorized",
        self ? SELF_REFUSAL : "refused",
      );
    }
    return viewOf(record);
  }

  /**
   * mDNS says `peerId`'s library is at `rev`. Deltas normally get here first;
   * if after a moment we are still behind, one went missing: fetch a snapshot.
   */
  noteRevision(peerId: string, rev: number): void {
    const record = this.#peers.get(peerId);
    if (record?.state !== "connected" || record.library.rev >= rev) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (record.session) this.#sync.changed(record, rev);
    }, 1_000);
    this.#timers.add(timer);
  }

  /** Says goodbye to every peer (bounded wait), then closes every connection. */
  async goodbyeAll(reason = "shutdown"): Promise<void> {
    const records = [...this.#peers.values()];
    const sessions = records.flatMap((r) => r.session ? [r.session] : []);
    await Promise.allSettled(
      sessions.map((s) => s.request({ type: "goodbye", reason }, { timeoutMs: 1_000 })),
    );
    for (const record of records) this.#lost(record, `we left (${reason})`, CLOSE.goodbye);
    for (const session of this.#sessions) session.close(CLOSE.shutdown, reason);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#pendingServes]);
  }

  #track(promise: Promise<unknown>): void {
    this.#pendingServes.add(promise);
    promise.finally(() => this.#pendingServes.delete(promise));
  }

  #session(conn: Connection): Session {
    const session: Session = new Session(conn, {
      log: this.#o.log,
      onActivity: () => {
        const record = this.#recordOf(session);
        record?.liveness?.heard(this.#o.now());
      },
    });
    this.#sessions.add(session);
    session.closed.then(() => this.#sessions.delete(session));
    return session;
  }

  #recordOf(session: Session): PeerRecord | undefined {
    for (const record of this.#peers.values()) if (record.session === session) return record;
    return undefined;
  }

  async #inbound(conn: Connection, signal: AbortSignal): Promise<void> {
    const session = this.#session(conn);
    const result = await serverHello(session, this.#o.local, signal);
    this.#settle(session, result, "remote");
  }

  #refused(addr: string, reason: string): void {
    this.#o.log.warn(`refused connection with ${addr}: ${reason}`);
    this.#o.events.emit("peer-refused", { addr, reason });
  }

  /** Turns a finished handshake into a peer record (or a closed connection). */
  #settle(session: Session, result: HandshakeResult, initiator: Initiator): PeerRecord | null {
    const seen = `${session.remoteAddr.hostname}:${session.remoteAddr.port}`;
    if (result.kind === "refused") {
      this.#refused(seen, result.reason);
      this.#closeSoon(session, CLOSE.unauthorized, result.reason.slice(0, 100));
      return null;
    }
    if (result.peer.peerId === this.#o.local.peerId) {
      session.close(CLOSE.duplicate, "connected to self");
      return null;
    }
    const addr = listenerAddr(result.peer.addr, session.remoteAddr.hostname);
    const existing = this.#peers.get(result.peer.peerId);
    const ids = { localId: this.#o.local.peerId, remoteId: result.peer.peerId };
    if (existing?.session && !keepNewConnection(ids, existing.initiator, initiator)) {
      session.close(CLOSE.duplicate, "duplicate connection");
      return existing;
    }
    const old = existing?.session;
    const record = newRecord(result, { session, initiator, addr, now: this.#o.now() }, existing);
    record.uploads ??= new Slots(this.#o.uploadsPerPeer);
    this.#peers.set(record.peerId, record);
    old?.close(CLOSE.duplicate, "replaced by a newer connection");
    session.closed.then((info) => this.#closed(record, session, info));
    if (result.kind === "incompatible") {
      if (existing?.state !== "incompatible") this.#announceIncompatible(record);
      return record;
    }
    this.#sync.welcome(record, result.page);
    if (!record.announced) {
      record.announced = true;
      this.#o.log.info(`connected to ${record.name} (${record.peerId}) at ${addr}`);
      this.#o.events.emit("peer-connected", { peerId: record.peerId, name: record.name, addr });
    }
    this.#track(session.serve((request) => answer(this.#answering, record, request)));
    this.#sync.push(record);
    return record;
  }

  #announceIncompatible(record: PeerRecord): void {
    const ours = this.#o.local.protocolVersion;
    const { peerId, name, addr, protocolVersion } = record;
    this.#o.log.warn(
      `${name} (${peerId}) at ${addr} is incompatible: ${
        incompatibleMessage(protocolVersion, ours)
      }`,
    );
    this.#o.events.emit("peer-incompatible", {
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
      this.#timers.add(timer);
    });
    this.#track(
      Promise.race([session.closed, grace]).then(() => {
        clearTimeout(timer);
        this.#timers.delete(timer!);
        session.close(code, reason);
      }),
    );
  }

  #closed(record: PeerRecord, session: Session, info: CloseInfo): void {
    if (this.#peers.get(record.peerId) !== record || record.session !== session) return;
    const reason = `connection closed${info.reason ? `: ${info.reason}` : ""}`;
    this.#o.log.debug(`connection to ${record.peerId} closed with code ${info.code}`);
    if (info.code !== CLOSE.duplicate || record.state !== "connected") {
      this.#lost(record, reason);
      return;
    }
    // The peer keeps the other connection of the pair; wait for it to settle here too.
    record.state = "connecting";
    record.session = null;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#peers.get(record.peerId) === record) this.#lost(record, reason);
    }, LIMITS.helloTimeoutMs);
    this.#timers.add(timer);
  }

  /** Forgets a peer; `code` null leaves closing the connection to the peer. */
  #lost(record: PeerRecord, reason: string, code: number | null = CLOSE.normal): void {
    if (this.#peers.get(record.peerId) !== record) return;
    this.#peers.delete(record.peerId);
    if (code !== null) record.session?.close(code, reason.slice(0, 100));
    record.session = null;
    this.#o.log.info(`lost ${record.name} (${record.peerId}): ${reason}`);
    this.#o.events.emit("peer-lost", { peerId: record.peerId, reason });
  }

  async #livenessLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await delay(this.#o.livenessTickMs, { signal }).catch(() => {});
      const now = this.#o.now();
      for (const record of this.connected()) {
        const action = record.liveness?.tick(now);
        if (action === "dead") {
          this.#lost(record, `timeout (silent for ${LIMITS.livenessTimeoutMs} ms)`);
        } else if (action === "ping" || record.liveness?.probe(now)) {
          const sentAt = performance.now();
          record.session?.request({ type: "ping" }, { timeoutMs: LIMITS.livenessTimeoutMs })
            .then(() => record.liveness?.answered(performance.now() - sentAt))
            .catch(() => {});
        }
      }
    }
  }
}

export function incompatibleMessage(theirs: number, ours: number): string {
  return `peer speaks protocol version ${theirs}, we speak ${ours}`;
}
