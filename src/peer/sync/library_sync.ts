/**
 * Keeps every peer's view of our library current, and ours of theirs.
 *
 * Sending: one push at a time per peer, each the diff between what the peer
 * last received and our current snapshot, so bursts of changes coalesce and
 * deltas never overtake each other. Receiving: a delta is applied only on a
 * matching from-rev; a gap makes us fetch a fresh snapshot (DESIGN §5).
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import type { LibraryDelta, LibrarySnapshot } from "../../wire/protocol.ts";
import { applyDelta, diffSnapshots } from "./delta.ts";
import type { PeerRecord } from "./peer_table.ts";
import type { LibraryPort } from "./serve.ts";

export interface LibrarySyncOptions {
  library: LibraryPort;
  events: EventLog;
  log: Logger;
}

export class LibrarySync {
  #o: LibrarySyncOptions;

  constructor(options: LibrarySyncOptions) {
    this.#o = options;
  }

  /** Our snapshot, remembered as what `record` now has (get-library). */
  snapshotFor(record: PeerRecord): LibrarySnapshot {
    const snapshot = this.#o.library.snapshot();
    record.sent = snapshot;
    return snapshot;
  }

  /** Brings `record` up to our current revision, in the background. */
  push(record: PeerRecord): void {
    if (record.pushing) {
      record.pushAgain = true;
      return;
    }
    record.pushing = true;
    this.#pushLoop(record).catch((error) =>
      this.#o.log.debug(`delta to ${record.peerId} failed: ${errorMessage(error)}`)
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
      const delta = diffSnapshots(sent, current);
      const reply = await session.request({ type: "library-delta", delta });
      // On an error answer the peer falls back to get-library, which resets `sent`.
      if (reply.message.type === "ok" && record.sent === sent) record.sent = current;
    } while (record.pushAgain && record.session === session);
  }

  /** Applies a delta from `record`'s peer, or fetches a snapshot on a gap. */
  receive(record: PeerRecord, delta: LibraryDelta): void {
    const result = applyDelta(record.library, delta);
    if (result.kind === "stale") return;
    if (result.kind === "applied") {
      this.#update(record, result.library);
      return;
    }
    this.#o.log.debug(
      `delta ${delta.fromRev}->${delta.toRev} from ${record.peerId} does not follow ${record.library.rev}`,
    );
    this.refresh(record).catch((error) =>
      this.#o.log.debug(`snapshot from ${record.peerId} failed: ${errorMessage(error)}`)
    );
  }

  /** Fetches the peer's full library (after a gap, or when told its revision moved). */
  async refresh(record: PeerRecord): Promise<void> {
    const session = record.session;
    if (!session) return;
    const reply = await session.request({ type: "get-library" });
    if (reply.message.type !== "library") {
      throw new Error(`get-library answered ${reply.message.type}`);
    }
    if (record.session === session && reply.message.library.rev !== record.library.rev) {
      this.#update(record, reply.message.library);
    }
  }

  #update(record: PeerRecord, library: LibrarySnapshot): void {
    record.library = library;
    this.#o.events.emit("peer-library-changed", { peerId: record.peerId, rev: library.rev });
  }
}
