/**
 * The public shapes of the install service: its options and its answers to
 * the runtime and the commands; and where a transaction works, which the
 * service, the forward runs, remove and recovery share. Apart from the code
 * so that each of those reads them from one place.
 *
 * @module
 */
import type { ArchiveLimits } from "../../archive/mod.ts";
import type { SyncTreeOptions } from "../../common/atomic.ts";
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import type { Operations } from "../../common/operations.ts";

export interface InstallsOptions {
  /** The games folder now. */
  gamesDir: () => string;
  stateDir: string;
  events: EventLog;
  log: Logger;
  operations: Operations;
  /** Our downloaded version of a game, or null. */
  downloadedVersion: (game: string) => string | null;
  /** Called after anything changed in a game's folder (the library rescans). */
  changed: (game: string) => Promise<void>;
  /** For the first play: written into the game's config files. */
  settings: () => { playerName: string; language: string };
  /** Caps replacing ARCHIVE_LIMITS (tests). @default {ARCHIVE_LIMITS} */
  limits?: Partial<ArchiveLimits>;
  /** @default 500 */
  progressIntervalMs?: number;
  /** Tests: called at each named point of a run (they kill the process there). */
  checkpoint?: (point: string) => void | Promise<void>;
  /** Makes the extracted tree durable (tests inject failures). @default {syncTree} */
  syncTree?: TxContext["syncTree"];
}

/** An install's progress, as `install-progress` reports it. */
export interface InstallProgress {
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  archive: string;
}

/** `play`: the started process. */
export interface Started {
  game: string;
  pid: number;
}

/** What `install` answers. */
export interface InstallResult {
  game: string;
  version: string;
  files: number;
  bytes: number;
}

/** Where a transaction works. */
export interface TxContext {
  stateDir: string;
  gamesDir: string;
  log: Logger;
  /**
   * Called at each named point of a run (tests kill the process there).
   * @default {nothing}
   */
  checkpoint?: (point: string) => void | Promise<void>;
  /** Makes the extracted tree durable before the swap (tests inject failures). @default {syncTree} */
  syncTree?: (root: string, paths: readonly string[], options: SyncTreeOptions) => Promise<void>;
}
