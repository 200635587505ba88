/**
 * When and what the library scans, apart from library.ts, which wires the
 * parts and applies what the scans find. Scans run one at a time on a
 * chain, as does every other change of the library's state (`enqueue`); a full
 * rescan is shared by every call made while it waits to start, and covers
 * the games marked dirty meanwhile; the periodic rescan waits its interval
 * after the previous one ended; a game held by a commit is scanned once
 * released, not half-moved. What a scan finds goes to the library (`apply`);
 * trouble with the games dir itself (unreadable, names that are no game
 * folder) stays here, for `status()`.
 *
 * @module
 */
import type { Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Publisher } from "./publisher.ts";
import { scanGame, scanGamesDir, type ScannedGame } from "./scan.ts";
import type { Dirty, Watching } from "./watcher.ts";
import type { ScanScope } from "./_entries.ts";

/** What the scans need of the library. */
export interface ScansParts {
  /** The games dir at first (`switchTo` changes it). */
  gamesDir: string;
  /** The pause between the end of a periodic rescan and the start of the next (`repeat`). */
  rescanIntervalMs: number;
  log: Logger;
  /** Loaded before each scan: the first reads the revision stored by the previous run. */
  publisher: Publisher;
  /** Watches the games dir after each full scan that could read it. */
  watching: Watching;
  /** The signal of the library's run, or null: a scan it aborted is no trouble of the games dir. */
  running(): AbortSignal | null;
  /** Replaces the state of the games in `scope` by `found`, then prepares and publishes. */
  apply(found: ScannedGame[], scope: ScanScope): Promise<void>;
  publish(): Promise<void>;
  /** Called after every full scan, whether it could read the games dir or not. */
  onFullScan(): void;
}

export class Scans {
  readonly #p: ScansParts;
  #gamesDir: string;
  #lastError: string | null = null;
  #scannedOnce = false;
  #ignored: string[] = [];
  #reportedIgnored = new Set<string>();

  #chain: Promise<void> = Promise.resolve();
  #fullScanPending: Promise<void> | null = null;
  /** Games whose folder a commit is changing (see `hold`), with their hold count. */
  #held = new Map<string, number>();
  #deferred = new Set<string>();

  constructor(parts: ScansParts) {
    this.#p = parts;
    this.#gamesDir = parts.gamesDir;
  }

  get gamesDir(): string {
    return this.#gamesDir;
  }

  /** Why the games dir could not be read at the last full scan, or null. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Top-level names that are not game folders. */
  get ignored(): readonly string[] {
    return this.#ignored;
  }

  /** Runs `op` after every scan queued before it; never rejects (a failure is logged). */
  enqueue(op: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(op).catch((e) =>
      this.#p.log.error(`library scan failed: ${errorMessage(e)}`)
    );
    return this.#chain;
  }

  /** Resolves once everything queued until now has run. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** Full rescan; resolves when done. Calls while one waits to start share it. */
  rescan(): Promise<void> {
    this.#fullScanPending ??= this.enqueue(async () => {
      this.#fullScanPending = null;
      try {
        await this.#scanAllNow();
      } finally {
        this.#p.onFullScan();
      }
    });
    return this.#fullScanPending;
  }

  /**
   * Rescans every `rescanIntervalMs` after the previous rescan ended, until
   * `signal` aborts; the returned function clears the timer that waits.
   */
  repeat(signal: AbortSignal): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      timer = setTimeout(() => {
        this.rescan().then(() => {
          if (!signal.aborted) tick();
        });
      }, this.#p.rescanIntervalMs);
    };
    tick();
    return () => clearTimeout(timer);
  }

  /** Switches to `dir` (which exists) and scans it. */
  switchTo(dir: string): Promise<void> {
    return this.enqueue(async () => {
      await this.#p.watching.unwatch();
      this.#gamesDir = dir;
      this.#ignored = [];
      // The old folder's games must not linger when the new one cannot be read.
      if (!(await this.#scanAllNow())) await this.#p.apply([], "all");
    });
  }

  /** No rescans of `game` until the returned function is called (Library.hold says why). */
  hold(game: string): () => void {
    this.#held.set(game, (this.#held.get(game) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.#held.get(game)! - 1;
      if (left > 0) return void this.#held.set(game, left);
      this.#held.delete(game);
      if (this.#deferred.delete(game)) this.#p.watching.mark(new Set([game]));
    };
  }

  /** Scans what the watcher (or anyone) marked dirty, except held games: those wait. */
  onDirty(dirty: Dirty): void {
    if (dirty === "all") return void this.rescan();
    const ids = new Set([...dirty].filter((id) => !this.#held.has(id)));
    for (const id of dirty) if (this.#held.has(id)) this.#deferred.add(id);
    // A full scan waiting to start covers these games too.
    if (ids.size > 0 && !this.#fullScanPending) void this.enqueue(() => this.#scanIdsNow(ids));
  }

  /** Scans the whole games dir; false (state kept, lastError set) when it cannot be read. */
  async #scanAllNow(): Promise<boolean> {
    await this.#p.publisher.load();
    const dir = this.#gamesDir;
    const signal = this.#p.running() ?? undefined;
    let result;
    try {
      result = await scanGamesDir(dir, signal);
    } catch (error) {
      if (signal?.aborted) return false; // shutting down, not a problem of the games dir
      const message = `cannot read games dir ${dir}: ${errorMessage(error)}`;
      if (message !== this.#lastError) this.#p.log.warn(message);
      this.#lastError = message;
      // The snapshot stored by the previous run lists games we cannot serve: withdraw them.
      if (!this.#scannedOnce) await this.#p.publish();
      return false;
    }
    this.#scannedOnce = true;
    this.#lastError = null;
    this.#ignored = result.ignored;
    for (const name of result.ignored) {
      if (this.#reportedIgnored.has(name)) continue;
      this.#reportedIgnored.add(name);
      this.#p.log.info(`ignoring ${name} in the games dir: not a game folder`);
    }
    await this.#p.apply(result.games, "all");
    // A game held by a commit was seen half-moved: it is scanned again once released.
    for (const id of this.#held.keys()) this.#deferred.add(id);
    await this.#p.watching.watch(dir);
    return true;
  }

  async #scanIdsNow(ids: ReadonlySet<string>): Promise<void> {
    await this.#p.publisher.load();
    const found: ScannedGame[] = [];
    const scanned = new Set<string>();
    for (const id of ids) {
      try {
        const game = await scanGame(this.#gamesDir, id);
        if (game) found.push(game);
        scanned.add(id);
      } catch (error) {
        // The games dir itself is in trouble: keep what we know, the full scan will tell.
        this.#p.log.debug(`rescan of ${id} deferred: ${errorMessage(error)}`);
      }
    }
    await this.#p.apply(found, scanned);
  }
}
