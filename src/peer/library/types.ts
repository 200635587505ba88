/**
 * The public shapes of the library service: its options and its answers to
 * the runtime and to peers' requests.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";

export type { LocalGame } from "./view.ts";

export interface LibraryOptions {
  gamesDir: string;
  stateDir: string;
  /** @default {silentLogger} */
  log?: Logger;
  /** Receives "local-library-changed" on every revision and "library-hashed" per new manifest. */
  events?: EventLog;
  /** Fallback periodic rescan. @default {30_000} */
  rescanIntervalMs?: number;
  /** Watch-event debounce. @default {250} */
  debounceMs?: number;
  /** @default {LIMITS.blockSize} */
  blockSize?: number;
  /** Games offered to peers at most; the first by id are. @default {LIMITS.maxGames} */
  maxGames?: number;
  /** A file reported bad is re-checked at most once in this time. @default {LIMITS.badBlockRecheckMs} */
  recheckIntervalMs?: number;
  /**
   * The installed version of a game from its install record (src/peer/install),
   * published to peers beside `version` while `local/` exists. @default {none}
   */
  installedVersion?: (game: string) => string | null;
}

export type ManifestAnswer =
  | { ok: true; hash: string; version: string; bytes: Uint8Array }
  | { ok: false; code: "not-found" | "busy"; message: string; retryAfterMs?: number };

/** A failed block request: why, and when to ask again. */
export interface BlockFailure {
  ok: false;
  code: "not-found" | "bad-request" | "busy";
  message: string;
  retryAfterMs?: number;
}

/**
 * A run of blocks opened for reading piece by piece: its size is known
 * without reading (`count` blocks, fewer at the end of the file, `bytes` in
 * all); `read` gives the next `length` bytes (the file is opened at the
 * first read, and must still be the one that was hashed), or why not.
 * `close` must be called once done.
 */
export type RunAnswer =
  | {
    ok: true;
    count: number;
    bytes: number;
    read(
      length: number,
      allocate?: (bytes: number) => ArrayBuffer,
    ): Promise<Uint8Array | BlockFailure>;
    close(): void;
  }
  | BlockFailure;

/** The answer to a report of a bad block: taken (checked in the background, maybe later), or why not. */
export type BadBlockAnswer =
  | { ok: true }
  | { ok: false; code: "not-found" | "bad-request"; message: string };

export interface LibraryStatus {
  gamesDir: string;
  /** Why the games dir could not be read at the last full scan, or null. */
  lastError: string | null;
  /** Top-level names that are not game folders. */
  ignored: string[];
  /** Game folders known (downloaded or not). */
  games: number;
  /** Games queued for or being hashed, sorted. */
  hashing: string[];
  /** Why some downloaded games are not offered to peers (more than LIMITS.maxGames), or null. */
  notOffered: string | null;
}

/** Suggested retry delay while a game is being hashed. */
export const RETRY_HASHING_MS = 500;
/** Suggested retry delay after a file changed under a served manifest: a rescan comes first. */
export const RETRY_CHANGED_MS = 1000;
