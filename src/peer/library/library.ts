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
import { errorMessage } from "../../common/errors.ts";
import { LIMITS } from "../../wire/protocol.ts";
import type { LibraryDelta, LibrarySnapshot } from "../../wire/library_schemas.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { type Entry, HashWorker } from "./hash_worker.ts";
import { comparePaths } from "./paths.ts";
import { Publisher } from "./publisher.ts";
import { sameScan, scanGame, scanGamesDir, type ScannedGame } from "./scan.ts";
import type { Served } from "./served.ts";
import { Serving } from "./serving.ts";
import type {
  BadBlockAnswer,
  LibraryOptions,
  LibraryStatus,
  ManifestAnswer,
  RunAnswer,
} from "./types.ts";
import { type GameView, isOffered, type LocalGame, snapshotView, toLocalGame } from "./view.ts";
import { type Dirty, Watching } from "./watcher.ts";

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
  #gamesDir: string;
  readonly #log: Logger;
  readonly #rescanIntervalMs: number;
  readonly #blockSize: number;
  readonly #publisher: Publisher;
  readonly #worker: HashWorker;
  readonly #serving: Serving;
  readonly #installedVersion: (game: string) => string | null;

  #entries = new Map<string, Entry>();
  #gen = 0;
  #lastError: string | null = null;
  #scannedOnce = false;
  #ignored: string[] = [];
  #reportedIgnored = new Set<string>();
  #reportedWarnings = new Map<string, Set<string>>();

  #chain: Promise<void> = Promise.resolve();
  #fullScanPending: Promise<void> | null = null;
  readonly #watching: Watching;
  #running: AbortSignal | null = null;
  /** Games whose folder a commit is changing (see `hold`), with their hold count. */
  #held = new Map<string, number>();
  #deferred = new Set<string>();

  constructor(options: LibraryOptions) {
    this.#gamesDir = resolve(options.gamesDir);
    this.#log = options.log ?? silentLogger;
    this.#rescanIntervalMs = options.rescanIntervalMs ?? 30_000;
    this.#blockSize = options.blockSize ?? LIMITS.blockSize;
    this.#installedVersion = options.installedVersion ?? (() => null);
    this.#watching = new Watching({
      debounceMs: options.debounceMs ?? 250,
      log: this.#log,
      onDirty: (dirty) => this.#onDirty(dirty),
    });
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#serving = new Serving({
      log: this.#log,
      offered: (game) => this.#offered(game),
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
  }

  get gamesDir(): string {
    return this.#gamesDir;
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
      .map((e) => toLocalGame(this.#view(e)));
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
      gamesDir: this.#gamesDir,
      lastError: this.#lastError,
      ignored: [...this.#ignored],
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      timer = setTimeout(() => {
        this.rescan().then(() => {
          if (!inner.signal.aborted) tick();
        });
      }, this.#rescanIntervalMs);
    };
    try {
      // A failure here shows up as the scan's lastError, which says more.
      await Deno.mkdir(this.#gamesDir, { recursive: true }).catch(() => {});
      await this.rescan();
      if (!inner.signal.aborted) tick();
      await aborted(inner.signal);
    } finally {
      signal.removeEventListener("abort", forward);
      inner.abort();
      this.#running = null;
      clearTimeout(timer);
      await this.#watching.stop();
      await hashing;
      await this.#serving.idle();
      await this.#chain;
      await this.#publisher.idle();
      this.#markReady();
    }
  }

  /** Full rescan; resolves when done. Calls while one waits to start share it. */
  /**
   * After a download: the game's files match `manifest`, whose every block
   * was verified; its hashes are taken over instead of reading the files
   * again, then the library rescans.
   */
  async adoptManifest(manifest: Manifest): Promise<void> {
    const id = manifest.game;
    await this.#enqueue(async () => {
      const scan = await scanGame(this.#gamesDir, id).catch(() => null);
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
    this.#held.set(game, (this.#held.get(game) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.#held.get(game)! - 1;
      if (left > 0) return void this.#held.set(game, left);
      this.#held.delete(game);
      if (this.#deferred.delete(game)) this.#watching.mark(new Set([game]));
    };
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

  rescan(): Promise<void> {
    this.#fullScanPending ??= this.#enqueue(async () => {
      this.#fullScanPending = null;
      try {
        await this.#scanAllNow();
      } finally {
        this.#markReady();
      }
    });
    return this.#fullScanPending;
  }

  /** Switches to another games dir (created if missing; rejects if that fails). */
  async setGamesDir(path: string): Promise<void> {
    const dir = resolve(path);
    await Deno.mkdir(dir, { recursive: true });
    await this.#enqueue(async () => {
      await this.#watching.unwatch();
      this.#gamesDir = dir;
      this.#ignored = [];
      // The old folder's games must not linger when the new one cannot be read.
      if (!(await this.#scanAllNow())) await this.#applyScan([], "all");
    });
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
    return this.#enqueue(async () => {
      const entry = this.#entries.get(game);
      if (!entry || entry.served !== served) return; // already superseded
      await this.#worker.forget(entry.scan, path);
      const fresh: Entry = { scan: entry.scan, gen: ++this.#gen };
      this.#entries.set(game, fresh);
      this.#worker.sync();
      await this.#worker.prepare(fresh);
      await this.#publish();
    });
  }

  #offered(game: string): Entry | undefined {
    const entry = this.#entries.get(game);
    return entry && isOffered(this.#view(entry)) ? entry : undefined;
  }

  #view(entry: Entry): GameView {
    const view: GameView = { scan: entry.scan, hashing: this.#worker.isHashing(entry.scan.id) };
    if (entry.served) view.manifestHash = entry.served.hash;
    if (entry.failed !== undefined) view.failed = entry.failed;
    const installed = entry.scan.installed ? this.#installedVersion(entry.scan.id) : null;
    if (installed !== null) view.installedVersion = installed;
    return view;
  }

  #publish(): Promise<void> {
    return this.#publisher.publish(() =>
      snapshotView([...this.#entries.values()].map((e) => this.#view(e)))
    );
  }

  // --- scanning -------------------------------------------------------------

  /** Runs `op` after every scan queued before it; never rejects (a failure is logged). */
  #enqueue(op: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(op).catch((e) =>
      this.#log.error(`library scan failed: ${errorMessage(e)}`)
    );
    return this.#chain;
  }

  /** Scans the whole games dir; false (state kept, lastError set) when it cannot be read. */
  async #scanAllNow(): Promise<boolean> {
    await this.#publisher.load();
    const dir = this.#gamesDir;
    const signal = this.#running ?? undefined;
    let result;
    try {
      result = await scanGamesDir(dir, signal);
    } catch (error) {
      if (signal?.aborted) return false; // shutting down, not a problem of the games dir
      const message = `cannot read games dir ${dir}: ${errorMessage(error)}`;
      if (message !== this.#lastError) this.#log.warn(message);
      this.#lastError = message;
      // The snapshot stored by the previous run lists games we cannot serve: withdraw them.
      if (!this.#scannedOnce) await this.#publish();
      return false;
    }
    this.#scannedOnce = true;
    this.#lastError = null;
    this.#ignored = result.ignored;
    for (const name of result.ignored) {
      if (this.#reportedIgnored.has(name)) continue;
      this.#reportedIgnored.add(name);
      this.#log.info(`ignoring ${name} in the games dir: not a game folder`);
    }
    await this.#applyScan(result.games, "all");
    // A game held by a commit was seen half-moved: it is scanned again once released.
    for (const id of this.#held.keys()) this.#deferred.add(id);
    await this.#watching.watch(dir);
    return true;
  }

  async #scanIdsNow(ids: ReadonlySet<string>): Promise<void> {
    await this.#publisher.load();
    const found: ScannedGame[] = [];
    const scanned = new Set<string>();
    for (const id of ids) {
      try {
        const game = await scanGame(this.#gamesDir, id);
        if (game) found.push(game);
        scanned.add(id);
      } catch (error) {
        // The games dir itself is in trouble: keep what we know, the full scan will tell.
        this.#log.debug(`rescan of ${id} deferred: ${errorMessage(error)}`);
      }
    }
    await this.#applyScan(found, scanned);
  }

  #onDirty(dirty: Dirty): void {
    if (dirty === "all") return void this.rescan();
    const ids = new Set([...dirty].filter((id) => !this.#held.has(id)));
    for (const id of dirty) if (this.#held.has(id)) this.#deferred.add(id);
    // A full scan waiting to start covers these games too.
    if (ids.size > 0 && !this.#fullScanPending) void this.#enqueue(() => this.#scanIdsNow(ids));
  }

  /** Replaces the state of the games in `scope` by `found`, then prepares and publishes. */
  async #applyScan(found: ScannedGame[], scope: ReadonlySet<string> | "all"): Promise<void> {
    const toPrepare: Entry[] = [];
    const seen = new Set<string>();
    for (const scan of found) {
      seen.add(scan.id);
      this.#reportWarnings(scan);
      const old = this.#entries.get(scan.id);
      if (old && sameScan(old.scan, scan)) {
        old.scan = scan; // same content: keeps its generation, manifest and hashing job
        toPrepare.push(old);
        continue;
      }
      const entry: Entry = { scan, gen: ++this.#gen };
      this.#entries.set(scan.id, entry);
      toPrepare.push(entry);
    }
    for (const id of scope === "all" ? [...this.#entries.keys()] : scope) {
      if (seen.has(id)) continue;
      this.#entries.delete(id);
      this.#reportedWarnings.delete(id);
    }
    this.#worker.sync();
    for (const entry of toPrepare) await this.#worker.prepare(entry);
    await this.#publish();
  }

  #reportWarnings(scan: ScannedGame): void {
    const before = this.#reportedWarnings.get(scan.id);
    for (const warning of scan.warnings) {
      if (!before?.has(warning)) this.#log.warn(`${scan.id}: ${warning}`);
    }
    this.#reportedWarnings.set(scan.id, new Set(scan.warnings));
  }
}
