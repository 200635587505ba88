/**
 * Whom a download takes blocks from: every peer that offers its exact
 * manifest, followed as peers come and go. With no source left the download
 * is stalled (after a grace, unless sources were dropped), resumed when one
 * returns, or gives way when a newer version is offered. Apart from
 * download.ts because it is the one part driven by the peers rather than by
 * the blocks; download.ts shows its stall and its dropped sources.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import type { Scheduler } from "./scheduler.ts";
import type { PeerSource } from "./sources.ts";

/**
 * How long a download waits, with no source left, before it says it is
 * stalled: a peer that replaces its connection to us (two dialled at once,
 * or a restart) has no session for the few milliseconds of the handshake.
 */
const STALL_GRACE_MS = 1_500;

/** What a source follower works with; all owned by the download. */
export interface FollowerParts {
  game: string;
  version: string;
  manifestHash: string;
  scheduler: Scheduler;
  peers: PeerSource;
  events: EventLog;
  log: Logger;
  now: () => number;
  /** Whether peers now offer a newer version: with no source left, the download gives way. */
  superseded?: () => boolean;
  /** Whether the download still runs (a stopped one is not announced stalled). */
  running(): boolean;
  /** No source is left and a newer version is offered: the download gives way. */
  onSuperseded(): void;
  /** The sources were looked at: the loop may hand out work. */
  onFollowed(): void;
}

export class SourceFollower {
  #p: FollowerParts;
  #stalled: string | null = null;
  /** Set while the last source is gone but the stall is not announced yet (STALL_GRACE_MS). */
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #dropped: { peerId: string; reason: string }[] = [];

  constructor(parts: FollowerParts) {
    this.#p = parts;
  }

  /** Why the download is stalled, or null. */
  get stalled(): string | null {
    return this.#stalled;
  }

  /** Sources dropped for this download, with why. */
  get dropped(): readonly { peerId: string; reason: string }[] {
    return this.#dropped;
  }

  /** A source was dropped (bad data): said, and perhaps the last one. */
  drop(peerId: string, reason: string): void {
    this.#dropped.push({ peerId, reason });
    this.#p.events.emit("download-source-dropped", { game: this.#p.game, peerId, reason });
    this.follow(); // the last source dropped: stalled, and the event says why
  }

  /** Ends the grace before a stall (the download is over). */
  close(): void {
    clearTimeout(this.#stallTimer);
  }

  /** Adds every peer that offers our exact manifest; removes those gone. */
  follow(): void {
    const { scheduler, game } = this.#p;
    const now = this.#p.now();
    const offering = new Set(
      this.#p.peers.offers(game)
        .filter((o) => o.manifestHash === this.#p.manifestHash)
        .map((o) => o.peerId),
    );
    for (const id of scheduler.sources()) if (!offering.has(id)) scheduler.removeSource(id, now);
    for (const id of offering) scheduler.addSource(id, now);
    const none = scheduler.sources().length === 0;
    if (none && !scheduler.isDone() && this.#p.superseded?.()) {
      this.#p.log.info(`a newer version of ${game} is offered: following it`);
      this.#p.onSuperseded();
    } else if (none && !this.#stalled && !scheduler.isDone()) {
      if (this.#dropped.length) {
        this.#stall(
          `every source was dropped: ${
            this.#dropped.map((d) => `${d.peerId} ${d.reason}`).join("; ")
          }`,
        );
      } else {
        // A peer swapping connections (duplicate.ts) is gone for a moment only.
        this.#stallTimer ??= setTimeout(() => {
          this.#stallTimer = undefined;
          if (!this.#p.running() || this.#stalled || scheduler.isDone()) return;
          if (scheduler.sources().length > 0) return;
          this.#stall(`no connected peer offers ${game} ${this.#p.version} any more`);
        }, STALL_GRACE_MS);
      }
    } else if (!none && this.#stalled) {
      this.#stalled = null;
      this.#p.events.emit("download-resumed", { game, sources: scheduler.sources() });
    }
    this.#p.onFollowed();
  }

  #stall(reason: string): void {
    this.#stalled = reason;
    this.#p.events.emit("download-stalled", { game: this.#p.game, reason });
  }
}
