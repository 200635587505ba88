/**
 * The library service: keeps the games directory scanned (watch events,
 * debounced, plus a periodic rescan), has downloaded games hashed in the
 * background, publishes the snapshot view with a revision that moves only
 * when the view changes (persisted across restarts), and serves manifests
 * and blocks to peers.
 *
 * Scans run one at a time on a chain; each replaces the state of the games
 * it covers, hands changed games to the {@linkcode HashWorker} and publishes.
 * When the games dir cannot be read, the previous state is kept and the
 * error shows in `status().lastError` until a later rescan succeeds.
 *
 * @module
 */
import { resolve } from "node:path";
import { type Logger, silentLogger } from "../../common/log.ts";
import { LIMITS } from "../../wire/protocol.ts";
import type { LibraryDelta, LibrarySnapshot } from "../../wire/library_schemas.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { HashWorker } from "./hash_worker.ts";
import { comparePaths } from "./paths.ts";
import { Publisher } from "./publisher.ts";
import { scanGame, type ScannedGame } from "./scan.ts";
import type { Served } from "./served.ts";
import { Serving } from "./serving.ts";
import type {
  BadBlockAnswer,
  LibraryOptions,
  LibraryStatus,
  ManifestAnswer,
  RunAnswer,
} from "./types.ts";
import { type LocalGame, snapshotView, toLocalGame } from "./view.ts";
import { Watching } from "./watcher.ts";
import { Entries, type ScanScope } from "./_entries.ts";
import { Scans } from "./_scans.ts";

export type { BadBlockAnswer, LibraryOptions, LibraryStatus, LocalGame, ManifestAnswer, RunAnswer };

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export class Library {
  /** Resolves once the first scan has completed (success or not). */
  readonly ready: Promise<void>;
  #markReady!: () => void;
  readonly #log: Logger;
  readonly #blockSize: number;
  readonly #publisher: Publisher;
  readonly #worker: HashWorker;
  readonly #serving: Serving;
  readonly #entries: Entries;
  readonly #scans: Scans;
  readonly #watching: Watching;
  #running: AbortSignal | null = null;

  constructor(options: LibraryOptions) {
    this.#log = options.log ?? silentLogger;
    this.#entries = new Entries({
      log: this.#log,
      isHashing: (id) => this.#worker.isHashing(id),
      installedVersion: options.installedVersion ?? (() => null),
    });
    this.#blockSize = options.blockSize ?? LIMITS.blockSize;
    this.#watching = new Watching({
      debounceMs: options.debounceMs ?? 250,
      log: this.#log,
      onDirty: (dirty) => this.#scans.onDirty(dirty),
    });
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#serving = new Serving({
      log: this.#log,
      offered: (game) => this.#entries.offered(game),
      markChanged: (game) => this.#watching.mark(new Set([game])),
      rehashFile: (game, path, served) => this.#rehashFile(game, path, served),
      recheckIntervalMs: options.recheckIntervalMs,
    });
    this.#publisher = new Publisher({
      stateDir: options.stateDir,
      log: this.#log,
      events: options.events,
      maxGames: options.maxGames,
    });
    this.#worker = new HashWorker({
      stateDir: options.stateDir,
      blockSize: this.#blockSize,
      log: this.#log,
      entryOf: (id) => this.#entries.get(id),
      onSettled: () => this.#publish(),
      onFileChanged: (id) => this.#watching.mark(new Set([id])),
    });
    this.#scans = new Scans({
      gamesDir: resolve(options.gamesDir),
      rescanIntervalMs: options.rescanIntervalMs ?? 30_000,
      log: this.#log,
      publisher: this.#publisher,
      watching: this.#watching,
      running: () => this.#running,
      apply: (found, scope) => this.#applyScan(found, scope),
      publish: () => this.#publish(),
      onFullScan: () => this.#markReady(),
    });
  }

  get gamesDir(): string {
    return this.#scans.gamesDir;
  }

  get rev(): number {
    return this.#publisher.snapshot.rev;
  }

  /**
   * Downloaded games only, sorted by id. Meaningful from `ready` on: the first
   * scan also reads the revision stored by the previous run (rev 0 before).
   */
  snapshot(): LibrarySnapshot {
    const { rev, games } = this.#publisher.snapshot;
    return { rev, games: [...games] };
  }

  /** Every valid game folder, downloaded or not, sorted by id. */
  games(): LocalGame[] {
    return [...this.#entries.values()]
      .sort((a, b) => comparePaths(a.scan.id, b.scan.id))
      .map((e) => toLocalGame(this.#entries.view(e)));
  }

  /** Shared files of a game (path, size), sorted by path; empty when unknown. */
  files(game: string): { path: string; size: number }[] {
    return this.#entries.get(game)?.scan.files.map(({ path, size }) => ({ path, size })) ?? [];
  }

  onChange(listener: (delta: LibraryDelta) => void): () => void {
    return this.#publisher.onChange(listener);
  }

  status(): LibraryStatus {
    return {
      gamesDir: this.#scans.gamesDir,
      lastError: this.#scans.lastError,
      ignored: [...this.#scans.ignored],
      games: this.#entries.size,
      hashing: this.#worker.ids().sort(comparePaths),
      notOffered: this.#publisher.notOffered,
    };
  }

  /** Scans, then watches, rescans periodically and hashes until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("Library.run is already running");
    // Our own controller, so that everything below stops even if something throws.
    const inner = new AbortController();
    const forward = () => inner.abort(signal.reason);
    signal.addEventListener("abort", forward, { once: true });
    if (signal.aborted) forward();
    this.#running = inner.signal;
    this.#watching.start();
    const hashing = this.#worker.run(inner.signal);
    let stopRescans = () => {};
    try {
      // A failure here shows up as the scan's lastError, which says more.
      await Deno.mkdir(this.#scans.gamesDir, { recursive: true }).catch(() => {});
      await this.rescan();
      if (!inner.signal.aborted) stopRescans = this.#scans.repeat(inner.signal);
      await aborted(inner.signal);
    } finally {
      signal.removeEventListener("abort", forward);
      inner.abort();
      this.#running = null;
      stopRescans();
      await this.#watching.stop();
      await hashing;
      await this.#serving.idle();
      await this.#scans.idle();
      await this.#publisher.idle();
      this.#markReady();
    }
  }

  /**
   * After a download: the game's files match `manifest`, whose every block
   * was verified; its hashes are taken over instead of reading the files
   * again, then the library rescans.
   */
  async adoptManifest(manifest: Manifest): Promise<void> {
    const id = manifest.game;
    await this.#scans.enqueue(async () => {
      const scan = await scanGame(this.#scans.gamesDir, id).catch(() => null);
      if (scan && manifest.blockSize === this.#blockSize) {
        await this.#worker.adopt(scan, manifest.files);
      }
      await this.#applyScan(scan ? [scan] : [], new Set([id]));
    });
  }

  /**
   * No rescans of `game` until the returned function is called: a commit
   * moving thousands of its files must not have the folder scanned again
   * after every few of them. Changes seen meanwhile are scanned once, after.
   */
  hold(game: string): () => void {
    return this.#scans.hold(game);
  }

  /**
   * While held, the games dir is not watched: an operation's own writes (a
   * download's staging, an install's extraction) reach the watcher as
   * events it drops, one by one, at a cost that slowed a download of small
   * files by a sixth. The periodic rescan still runs. When the last hold is
   * released (call the returned function once), the library is rescanned
   * and the watcher starts again.
   */
  quiet(): () => void {
    return this.#watching.pause();
  }

  /** Whether the games dir is watched now (false while quiet, or when the platform refused). */
  get watching(): boolean {
    return this.#watching.watching;
  }

  /** Full rescan; resolves when done. Calls while one waits to start share it. */
  rescan(): Promise<void> {
    return this.#scans.rescan();
  }

  /** Switches to another games dir (created if missing; rejects if that fails). */
  async setGamesDir(path: string): Promise<void> {
    const dir = resolve(path);
    await Deno.mkdir(dir, { recursive: true });
    await this.#scans.switchTo(dir);
  }

  getManifest(game: string): Promise<ManifestAnswer> {
    return Promise.resolve(this.#serving.manifest(game));
  }

  /** Opens `count` consecutive blocks from `index` for reading piece by piece (serving.ts). */
  openRun(game: string, path: string, index: number, count = 1): RunAnswer {
    return this.#serving.openRun(game, path, index, count);
  }

  /** A peer says a block of ours failed verification: re-checked in the background (serving.ts). */
  reportBadBlock(game: string, path: string, index: number, reporter: string): BadBlockAnswer {
    return this.#serving.reportBadBlock(game, path, index, reporter);
  }

  /** The content of `path` changed under an unchanged stamp: forget its hashes, hash it again. */
  #rehashFile(game: string, path: string, served: Served): Promise<void> {
    return this.#scans.enqueue(async () => {
      const entry = this.#entries.get(game);
      if (!entry || entry.served !== served) return; // already superseded
      await this.#worker.forget(entry.scan, path);
      const fresh = this.#entries.renew(entry);
      this.#worker.sync();
      await this.#worker.prepare(fresh);
      await this.#publish();
    });
  }

  #publish(): Promise<void> {
    return this.#publisher.publish(() =>
      snapshotView([...this.#entries.values()].map((e) => this.#entries.view(e)))
    );
  }

  /** Replaces the state of the games in `scope` by `found`, then prepares and publishes. */
  async #applyScan(found: ScannedGame[], scope: ScanScope): Promise<void> {
    const toPrepare = this.#entries.apply(found, scope);
    this.#worker.sync();
    for (const entry of toPrepare) await this.#worker.prepare(entry);
    await this.#publish();
  }
}
