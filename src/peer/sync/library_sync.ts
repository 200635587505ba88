/**
 * Keeps every peer's view of our library current, and ours of theirs
 * (protocol v2: libraries travel in pages, see protocol.ts and pages.ts).
 *
 * Sending: hello carries the first page of our snapshot; the peer asks for
 * the rest with get-library {rev, offset}, answered from that very snapshot
 * (`record.serving`) however our library moved since. Changes are pushed one
 * at a time per peer, each the diff between what the peer last received
 * (`record.sent`) and our current snapshot, so bursts coalesce and deltas
 * never overtake each other; a diff too large for a frame, or one the peer
 * refuses, is announced with library-changed instead and the peer fetches
 * pages.
 *
 * Receiving: a delta is applied only on a matching from-rev; a gap, a
 * library-changed, or a first page that is not the whole library starts a
 * fetch of every page of one revision (it starts again, a bounded number of
 * times, when that revision is gone). Deltas that arrive during a fetch
 * wait for it and are applied after.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import { delay } from "../../common/async.ts";
import { LIMITS } from "../../wire/protocol.ts";
import { errorResponse, type Response } from "../../wire/messages.ts";
import type { LibraryDelta, LibrarySnapshot, RawLibraryPage } from "../../wire/library_schemas.ts";
import type { Reply } from "../../wire/responder.ts";
import type { Session } from "../../wire/session.ts";
import { applyDelta, diffSnapshots } from "./delta.ts";
import { deltaBytes, type Gathered, PageCollector, pageOf } from "./pages.ts";
import type { PeerRecord } from "./peer_table.ts";
import type { LibraryPort } from "./serve.ts";

export interface LibrarySyncOptions {
  library: LibraryPort;
  events: EventLog;
  log: Logger;
  /** Games kept of a peer's library. @default {LIMITS.maxGames} */
  maxGames?: number;
  /** Bytes of games per page we send. @default {LIMITS.maxPageBytes} */
  pageBytes?: number;
  /** Largest delta we send. @default {LIMITS.maxDeltaBytes} */
  deltaBytes?: number;
  /** First delay before a failed fetch is tried again (doubles). @default {1000} */
  retryMs?: number;
}

/** Deltas kept while a fetch runs; past this the fetch simply runs once more. */
const MAX_QUEUED = 16;
/** Failed fetches in a row before we wait for the next sign of a change. */
const MAX_FETCH_FAILURES = 3;

const label = (record: PeerRecord) => `${record.name} (${record.peerId})`;

function answerText(message: Response): string {
  return message.type === "error" ? `${message.code}: ${message.message}` : message.type;
}

export class LibrarySync {
  #o: Required<LibrarySyncOptions>;

  constructor(options: LibrarySyncOptions) {
    this.#o = {
      ...options,
      maxGames: options.maxGames ?? LIMITS.maxGames,
      pageBytes: options.pageBytes ?? LIMITS.maxPageBytes,
      deltaBytes: options.deltaBytes ?? LIMITS.maxDeltaBytes,
      retryMs: options.retryMs ?? 1_000,
    };
  }

  // --- serving ---------------------------------------------------------------

  /**
   * Answers get-library: a page of the snapshot at `rev`, or without `rev` of
   * our current one, which the peer is then fetching (and deltas follow from).
   */
  page(record: PeerRecord, rev: number | undefined, offset: number): Reply {
    let snapshot: LibrarySnapshot | undefined;
    if (rev === undefined) {
      snapshot = this.#o.library.snapshot();
      record.sent = snapshot;
      record.serving = snapshot;
    } else {
      const held = [record.serving, record.sent, this.#o.library.snapshot()];
      snapshot = held.find((s) => s?.rev === rev) ?? undefined;
    }
    if (!snapshot) {
      const message = `revision ${rev} is no longer held; ask again without a revision`;
      return { message: errorResponse("not-found", message) };
    }
    return { message: { type: "library", library: pageOf(snapshot, offset, this.#o.pageBytes) } };
  }

  // --- sending ---------------------------------------------------------------

  /** Brings `record` up to our current revision, in the background. */
  push(record: PeerRecord): void {
    if (record.pushing) {
      record.pushAgain = true;
      return;
    }
    record.pushing = true;
    this.#pushLoop(record).catch((error) =>
      this.#o.log.debug(`library update to ${record.peerId} failed: ${errorMessage(error)}`)
    ).finally(() => {
      record.pushing = false;
    });
  }

  async #pushLoop(record: PeerRecord): Promise<void> {
    const session = record.session;
    do {
      record.pushAgain = false;
      const current = this.#o.library.snapshot();
      const sent = record.sent;
      if (!session || record.session !== session || !sent || sent.rev === current.rev) continue;
      if (await this.#send(record, session, sent, current) && record.sent === sent) {
        record.sent = current;
      }
    } while (record.pushAgain && record.session === session);
  }

  /** Sends what turns `sent` into `current`: a delta when it fits, else library-changed. */
  async #send(
    record: PeerRecord,
    session: Session,
    sent: LibrarySnapshot,
    current: LibrarySnapshot,
  ): Promise<boolean> {
    const delta = diffSnapshots(sent, current);
    const bytes = deltaBytes(delta);
    if (bytes <= this.#o.deltaBytes) {
      const reply = await session.request({ type: "library-delta", delta });
      if (reply.message.type === "ok") return true;
      this.#o.log.warn(
        `${label(record)} refused our library delta ${delta.fromRev}->${delta.toRev} ` +
          `(${answerText(reply.message)}); it will fetch the library instead`,
      );
    } else {
      this.#o.log.debug(
        `the change ${sent.rev}->${current.rev} (${bytes} bytes) is too large for a delta: ` +
          `telling ${record.peerId} to fetch revision ${current.rev}`,
      );
    }
    const reply = await session.request({ type: "library-changed", rev: current.rev });
    if (reply.message.type === "ok") return true;
    this.#o.log.warn(`${label(record)} refused library-changed: ${answerText(reply.message)}`);
    return false;
  }

  // --- receiving -------------------------------------------------------------

  /** Takes the first page of a new peer's library (hello), fetching the rest if any. */
  welcome(record: PeerRecord, first: RawLibraryPage): void {
    const collector = new PageCollector(first, this.#o.maxGames);
    if (collector.complete) this.#install(record, collector.result(), false);
    else this.#fetch(record, first);
  }

  /** Applies a delta from `record`'s peer, or fetches a snapshot on a gap. */
  receive(record: PeerRecord, delta: LibraryDelta): void {
    if (record.fetching) {
      if (record.queued.length < MAX_QUEUED) record.queued.push(delta);
      else record.fetchAgain = true;
      return;
    }
    const result = applyDelta(record.library, delta);
    if (result.kind === "stale") return;
    if (result.kind === "applied") {
      this.#update(record, result.library);
      return;
    }
    this.#o.log.debug(
      `delta ${delta.fromRev}->${delta.toRev} from ${record.peerId} does not follow ${record.library.rev}`,
    );
    this.#fetch(record);
  }

  /** The peer's library moved to `rev` (library-changed, mDNS): fetch it if we are behind. */
  changed(record: PeerRecord, rev: number): void {
    if (rev > record.library.rev) this.#fetch(record);
  }

  /** Fetches the peer's whole library; resolves when no fetch runs any more. */
  async refresh(record: PeerRecord): Promise<void> {
    this.#fetch(record);
    while (record.fetching) await record.fetching;
  }

  #fetch(record: PeerRecord, first?: RawLibraryPage): void {
    if (record.fetching) {
      record.fetchAgain = true;
      return;
    }
    record.fetching = this.#fetchLoop(record, first).finally(() => (record.fetching = null));
  }

  async #fetchLoop(record: PeerRecord, first?: RawLibraryPage): Promise<void> {
    const session = record.session;
    if (!session) return;
    let failures = 0;
    do {
      record.fetchAgain = false;
      try {
        const gathered = await this.#fetchAll(session, record, first);
        first = undefined;
        if (record.session !== session) return;
        failures = 0;
        this.#install(record, gathered, true);
      } catch (error) {
        if (record.session !== session) return;
        const why = `fetching the library of ${label(record)} failed: ${errorMessage(error)}`;
        if (++failures >= MAX_FETCH_FAILURES) {
          // The next delta, library-changed or mDNS revision starts again.
          this.#o.log.warn(`${why}; giving up for now`);
          record.queued = [];
          return;
        }
        this.#o.log.debug(`${why}; retrying`);
        // Ends early (and so does the loop) when the connection closes.
        const gone = new AbortController();
        session.closed.then(() => gone.abort());
        await delay(this.#o.retryMs * 2 ** (failures - 1), { signal: gone.signal }).catch(() => {});
        record.fetchAgain = true;
      }
    } while (record.fetchAgain && record.session === session);
  }

  /** Every page of one revision; starts again (bounded) when the peer no longer holds it. */
  async #fetchAll(
    session: Session,
    record: PeerRecord,
    first: RawLibraryPage | undefined,
  ): Promise<Gathered> {
    for (let restarts = 0;; restarts++) {
      const collector = new PageCollector(first ?? await this.#ask(session), this.#o.maxGames);
      first = undefined;
      while (!collector.complete) {
        const page = await this.#ask(session, collector.rev, collector.next);
        if (page === null) break; // that revision is gone
        if (!collector.add(page)) throw new Error(`sent page ${page.offset}@${page.rev}`);
      }
      if (collector.complete) return collector.result();
      if (restarts >= LIMITS.maxFetchRestarts) {
        throw new Error(`its library changed during ${restarts + 1} fetches in a row`);
      }
      this.#o.log.debug(`library of ${record.peerId} moved during a fetch; starting again`);
    }
  }

  /** A page; null when the peer no longer holds revision `rev` (not-found). */
  async #ask(session: Session): Promise<RawLibraryPage>;
  async #ask(session: Session, rev: number, offset: number): Promise<RawLibraryPage | null>;
  async #ask(session: Session, rev?: number, offset = 0): Promise<RawLibraryPage | null> {
    const reply = await session.request({
      type: "get-library",
      offset,
      ...(rev === undefined ? {} : { rev }),
    });
    const message = reply.message;
    if (message.type === "error" && message.code === "not-found" && rev !== undefined) return null;
    if (message.type !== "library") throw new Error(`get-library answered ${answerText(message)}`);
    return message.library;
  }

  /** Takes a fetched library, then the deltas that arrived meanwhile. */
  #install(record: PeerRecord, gathered: Gathered, announce: boolean): void {
    if (gathered.note !== record.libraryNote && gathered.note) {
      this.#o.log.warn(`library of ${label(record)}: ${gathered.note}`);
    }
    record.libraryNote = gathered.note;
    let library = gathered.library;
    for (const delta of record.queued.splice(0)) {
      const result = applyDelta(library, delta);
      if (result.kind === "applied") library = result.library;
      else if (result.kind === "gap") record.fetchAgain = true;
    }
    this.#update(record, library, announce && library.rev !== record.library.rev);
  }

  #update(record: PeerRecord, library: LibrarySnapshot, announce = true): void {
    const max = this.#o.maxGames;
    if (library.games.length > max) {
      // Deltas can grow a library past the limit too: the first games by id are kept.
      const note = `offers ${library.games.length} games; only the first ${max} are kept`;
      if (record.libraryNote !== note) this.#o.log.warn(`library of ${label(record)}: ${note}`);
      record.libraryNote = note;
      library = { rev: library.rev, games: library.games.slice(0, max) };
    }
    record.library = library;
    if (announce) {
      this.#o.events.emit("peer-library-changed", { peerId: record.peerId, rev: library.rev });
    }
  }
}
