/**
 * What the page and `GET downloads` show of an active download: progress,
 * speed, each source's share, dropped sources and a rate history.
 *
 * @module
 */

/** Where a download stands. */
export type DownloadPhase =
  | "preparing"
  | "downloading"
  | "stalled"
  | "verifying"
  | "committing"
  | "blocked";

/** One source of an active download. */
export interface DownloadSource {
  peerId: string;
  name: string;
  /** Recent rate from this source, bytes/s. */
  bytesPerSecond: number;
  /** Verified bytes this source delivered in this run. */
  bytes: number;
  /** `bytes` over all sources' bytes, 0..1. */
  share: number;
}

/** `GET downloads`: an active download. */
export interface DownloadView {
  game: string;
  version: string;
  phase: DownloadPhase;
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  sources: DownloadSource[];
  /** Sources dropped for this download (bad data), with why. */
  dropped: { peerId: string; reason: string }[];
  /** Recent overall rates (bytes/s), oldest first, one per progress tick: a sparkline. */
  history: number[];
  /** Install right after the commit. */
  install: boolean;
  /** Why the download waits (stalled or blocked), or null. */
  waiting: string | null;
}
