/**
 * The peer manager: every connection to every peer, from TLS to goodbye.
 * What a finished handshake or a closed connection does to the table of
 * peers is in _peers.ts.
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
import type { Connection, HostPort, Transport } from "../../wire/transport.ts";
import { delay } from "../../common/async.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import { clientHello, type LocalPeer, SELF_REFUSAL, serverHello } from "./handshake.ts";
import { type PeerRecord, type PeerView, viewOf } from "./peer_table.ts";
import { Session } from "../../wire/session.ts";
import type { LibraryPort } from "./serve.ts";
import { LibrarySync } from "./library_sync.ts";
import { RateGate } from "../../common/rate_limit.ts";
import { incompatibleMessage, Peers } from "./_peers.ts";

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
  #peers: Peers;
  #sync: LibrarySync;
  #pendingServes = new Set<Promise<unknown>>();
  /** Every open connection, in any state, so shutdown can close them all. */
  #sessions = new Set<Session>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Block answers are read into these: a seed's memory stays flat however much it sends. */
  #buffers = new BufferPool();

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
    this.#peers = new Peers({
      local: this.#o.local,
      log: this.#o.log,
      events: this.#o.events,
      now: () => this.#o.now(),
      sync: this.#sync,
      answering: {
        library: this.#o.library,
        sync: this.#sync,
        uploadGate: this.#o.uploadGate,
        buffers: this.#buffers,
        // Drop the peer now; it closes the connection once it has our answer.
        goodbye: (record) => this.#peers.lost(record, "goodbye", null),
      },
      uploadsPerPeer: () => this.#o.uploadsPerPeer,
      track: (promise) => this.#track(promise),
      timers: this.#timers,
    });
  }

  get local(): LocalPeer {
    return this.#o.local;
  }

  /** How many block answers go to one peer at once, from now on, for every peer. */
  setUploadsPerPeer(slots: number): void {
    this.#o.uploadsPerPeer = slots;
    for (const record of this.#peers.all()) record.uploads?.resize(slots);
  }

  /** Our name in every hello from now on (peers already connected learn it when they reconnect). */
  rename(name: string): void {
    this.#o.local.name = name;
  }

  /** Peers as the harness lists them (peers that left are not listed). */
  peers(): PeerView[] {
    return this.#peers.all().map(viewOf).sort((a, b) => a.peerId < b.peerId ? -1 : 1);
  }

  /** The live session of a connected peer, for requests (downloads). */
  session(peerId: string): Session | null {
    const record = this.#peers.get(peerId);
    return record?.state === "connected" ? record.session : null;
  }

  /** Records of every connected peer (read-only use). */
  connected(): PeerRecord[] {
    return this.#peers.connected();
  }

  /** Accepts connections, checks liveness and pushes library changes until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.#o.library.onChange(() => {
      for (const record of this.connected()) this.#sync.push(record);
    });
    const accepting = this.#o.transport.accept(
      (conn) => this.#track(this.#inbound(conn, signal)),
      (reason) => this.#peers.refused("an incoming connection", reason),
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
    const record = this.#peers.settle(session, result, "local");
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
    const records = this.#peers.all();
    const sessions = records.flatMap((r) => r.session ? [r.session] : []);
    await Promise.allSettled(
      sessions.map((s) => s.request({ type: "goodbye", reason }, { timeoutMs: 1_000 })),
    );
    for (const record of records) this.#peers.lost(record, `we left (${reason})`, CLOSE.goodbye);
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
        const record = this.#peers.recordOf(session);
        record?.liveness?.heard(this.#o.now());
      },
    });
    this.#sessions.add(session);
    session.closed.then(() => this.#sessions.delete(session));
    return session;
  }

  async #inbound(conn: Connection, signal: AbortSignal): Promise<void> {
    const session = this.#session(conn);
    const result = await serverHello(session, this.#o.local, signal);
    this.#peers.settle(session, result, "remote");
  }

  async #livenessLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await delay(this.#o.livenessTickMs, { signal }).catch(() => {});
      const now = this.#o.now();
      for (const record of this.connected()) {
        const action = record.liveness?.tick(now);
        if (action === "dead") {
          this.#peers.lost(record, `timeout (silent for ${LIMITS.livenessTimeoutMs} ms)`);
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
