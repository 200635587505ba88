/**
 * What users see of a download: the view for the page and `GET downloads`
 * (a placeholder while it still chooses its manifest), and the
 * `download-progress` event of every tick with the rate history behind the
 * page's sparkline. Apart from download.ts because
 * it only reads the download (its state comes in as a {@linkcode Standing});
 * deciding what the download does stays there.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { RateMeter } from "./rate_meter.ts";
import type { DownloadTarget } from "./resume_state.ts";
import type { Scheduler } from "./scheduler.ts";
import type { DownloadPhase, DownloadView } from "./view.ts";

/** Rate samples kept for the page's sparkline: two minutes at one per 500 ms. */
const HISTORY_TICKS = 240;

/** What a progress report works with; all owned by the download. */
export interface ReportParts {
  target: DownloadTarget;
  totalBytes: number;
  events: EventLog;
  now: () => number;
}

/** Where the download stands at the moment of a view. */
export interface Standing {
  /** Null until the download has checked what a resume found. */
  scheduler: Scheduler | null;
  /** Verified bytes each source delivered. */
  delivered: ReadonlyMap<string, number>;
  phase: DownloadPhase;
  waiting: string | null;
  dropped: readonly { peerId: string; reason: string }[];
}

export class ProgressReport {
  #p: ReportParts;
  #history: number[] = [];
  #rate = 0;

  constructor(parts: ReportParts) {
    this.#p = parts;
  }

  /** Where the download stands, for the page and `GET downloads`. */
  view(standing: Standing): DownloadView {
    const { scheduler, delivered } = standing;
    const done = scheduler?.doneBytes() ?? 0;
    const total = this.#p.totalBytes;
    const all = [...delivered.values()].reduce((a, b) => a + b, 0);
    return {
      game: this.#p.target.game,
      version: this.#p.target.version,
      phase: standing.phase,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(this.#rate),
      etaSeconds: this.#rate > 0 ? Math.ceil((total - done) / this.#rate) : null,
      sources: (scheduler?.sources() ?? []).map((peerId) => {
        const bytes = delivered.get(peerId) ?? 0;
        const bytesPerSecond = Math.round(scheduler!.rate(peerId));
        return { peerId, name: "", bytesPerSecond, bytes, share: all > 0 ? bytes / all : 0 };
      }),
      dropped: [...standing.dropped],
      history: [...this.#history],
      install: this.#p.target.install,
      waiting: standing.waiting,
    };
  }

  /** One progress tick while blocks move: the recent rate, kept and said. */
  tick(scheduler: Scheduler, meter: RateMeter): void {
    const done = scheduler.doneBytes();
    const total = this.#p.totalBytes;
    const rate = meter.sample(done, this.#p.now());
    this.#rate = rate;
    this.#history.push(Math.round(rate));
    if (this.#history.length > HISTORY_TICKS) this.#history.shift();
    const active = scheduler.sources().filter((s) => scheduler.inFlightBytes(s) > 0);
    this.#p.events.emit("download-progress", {
      game: this.#p.target.game,
      doneBytes: done,
      totalBytes: total,
      bytesPerSecond: Math.round(rate),
      activePeers: active.length,
      etaSeconds: rate > 0 ? Math.ceil((total - done) / rate) : null,
    });
  }

  /** No bytes move any more (the commit): the rate shown drops to 0. */
  still(): void {
    this.#rate = 0;
  }
}

/** The view of a download still choosing its manifest (no Download exists yet). */
export function preparingView(game: string, version: string, install: boolean): DownloadView {
  return {
    game,
    version,
    phase: "preparing",
    doneBytes: 0,
    totalBytes: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    sources: [],
    dropped: [],
    history: [],
    install,
    waiting: null,
  };
}
