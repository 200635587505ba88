/**
 * The peer's event log: one typed, append-only sequence with increasing ids.
 *
 * Everything observable (peers coming and going, library changes, downloads,
 * failures) is an event here. Readers poll with {@linkcode EventLog.since}
 * ("everything after id N", as Syncthing's UI does) or subscribe for pushes;
 * the JSONL harness, the web page and the tests all read the same log.
 *
 * @module
 */

import type { ErrorCode } from "./errors.ts";

/** Payloads of every event, by name. Adding an event means adding it here. */
export interface EventMap {
  "local-peer-ready": { peerId: string; addr: string };
  "peer-discovered": { peerId: string; name: string; addr: string };
  "peer-connected": { peerId: string; name: string; addr: string };
  "peer-incompatible": {
    peerId: string;
    name: string;
    addr: string;
    protocolVersion: number;
    ourProtocolVersion: number;
  };
  "peer-refused": { addr: string; reason: string };
  "peer-lost": { peerId: string; reason: string };
  "peer-library-changed": { peerId: string; rev: number };
  "local-library-changed": { rev: number };
  "library-hashed": { game: string; manifestHash: string };
  /** `resumedBytes`: verified before a restart, not fetched again. */
  "download-begin": { game: string; bytes: number; sources: string[]; resumedBytes: number };
  "download-progress": {
    game: string;
    doneBytes: number;
    totalBytes: number;
    bytesPerSecond: number;
    activePeers: number;
    etaSeconds: number | null;
  };
  "download-finished": { game: string; bytes: number; ms: number };
  "download-failed": { game: string; code: ErrorCode; message: string };
  /** No source left; `reason` says why (none offers it, or every one was dropped). */
  "download-stalled": { game: string; reason: string };
  /** The verified download cannot be put in place yet (a file in use); retried until it can. */
  "download-blocked": { game: string; code: ErrorCode; path: string; message: string };
  /** The sources moved on to another version; the download follows it. */
  "download-version-changed": { game: string; fromVersion: string; toVersion: string };
  "download-resumed": { game: string; sources: string[] };
  "download-cancelled": { game: string };
  "download-source-dropped": { game: string; peerId: string; reason: string };
  /** An install (or update) starts: `bytes` of its `archives` (names, in extraction order). */
  "install-begin": { game: string; version: string; bytes: number; archives: string[] };
  /** Every 500 ms while extracting: bytes written of the archives' declared total. */
  "install-progress": {
    game: string;
    doneBytes: number;
    totalBytes: number;
    bytesPerSecond: number;
    archive: string;
  };
  /** `local/` holds `version`: `files` written by the install, `bytes` extracted. */
  "install-finished": { game: string; version: string; files: number; bytes: number; ms: number };
  /** The install ended without change: the old `local/` (if any) is complete, no staging left. */
  "install-failed": { game: string; code: ErrorCode; message: string };
  "uninstall-finished": { game: string };
  "remove-finished": { game: string };
  "game-started": { game: string; pid: number; server: boolean };
  "game-exited": { game: string; pid: number; code: number };
  /** The operation running on a game changed; null when it ended. */
  "operation-changed": {
    game: string;
    operation: Operation | null;
  };
  "service-error": { service: string; message: string };
  /** Settings changed (harness `settings`, HTTP `PATCH settings`); names the ones that did. */
  "settings-changed": { changed: string[] };
  "runtime-failed": { component: string; message: string };
}

export type EventName = keyof EventMap;

/** What runs on a game; at most one at a time (ARCHITECTURE.md "Install: transactions and recovery"; src/common/operations.ts). */
export type Operation = "download" | "install" | "update" | "uninstall" | "remove";

/** One entry of the log. */
export type LoggedEvent<N extends EventName = EventName> = {
  [K in N]: { id: number; time: number; event: K; data: EventMap[K] };
}[N];

/** Options for {@linkcode EventLog}. */
export interface EventLogOptions {
  /** How many recent events are kept for {@linkcode EventLog.since}. @default {10000} */
  capacity?: number;
  /** Clock, injectable for tests. @default {Date.now} */
  now?: () => number;
}

export type EventListener = (event: LoggedEvent) => void;

/** Append-only event log with increasing ids and a bounded memory. */
export class EventLog {
  #entries: LoggedEvent[] = [];
  #nextId = 1;
  #capacity: number;
  #now: () => number;
  #listeners = new Set<EventListener>();

  constructor(options: EventLogOptions = {}) {
    this.#capacity = options.capacity ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Appends an event and hands it to every subscriber; returns its id. */
  emit<N extends EventName>(event: N, data: EventMap[N]): number {
    const entry = { id: this.#nextId++, time: this.#now(), event, data } as LoggedEvent;
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity) {
      this.#entries.splice(0, this.#entries.length - this.#capacity);
    }
    for (const listener of this.#listeners) {
      try {
        listener(entry);
      } catch {
        // A faulty reader must not break the writer or the other readers.
      }
    }
    return entry.id;
  }

  /** Events with an id greater than `id`, oldest first (at most `capacity`). */
  since(id: number): LoggedEvent[] {
    const first = this.#entries.findIndex((e) => e.id > id);
    return first < 0 ? [] : this.#entries.slice(first);
  }

  /** The id of the newest event (0 when empty). */
  get lastId(): number {
    return this.#nextId - 1;
  }

  /** Calls `listener` for every later event until the returned function is called. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first later event that satisfies `match`.
   * Rejects with the signal's reason when `signal` aborts first.
   */
  waitFor(
    match: (event: LoggedEvent) => boolean,
    options: { signal?: AbortSignal } = {},
  ): Promise<LoggedEvent> {
    const { signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        unsubscribe();
        reject(signal?.reason);
      };
      const unsubscribe = this.subscribe((event) => {
        if (!match(event)) return;
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        resolve(event);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * An event as the JSONL harness and the HTTP API write it: its name, its
 * sequence number, its time and its fields (README, "JSONL harness").
 */
export function eventRecord(entry: LoggedEvent): Record<string, unknown> {
  return { type: "event", event: entry.event, seq: entry.id, time: entry.time, ...entry.data };
}
