/**
 * Watching the games directory. File system events are turned into "these
 * games may have changed" (or "rescan everything") and handed on; the
 * library debounces them. Events inside an installed tree (`<id>/local/...`,
 * e.g. save games) or our own `.lanspread*` files (download staging) are
 * dropped here, so that playing or downloading does not trigger rescans.
 *
 * @module
 */
import { isAbsolute, relative, sep } from "node:path";
import type { Logger } from "../../common/log.ts";
import { INSTALLED_DIR, isGameId, PRIVATE_PREFIX } from "./paths.ts";

/** A set of game ids that may have changed, or "all" for a full rescan. */
export type Dirty = ReadonlySet<string> | "all";

function isPrivate(segment: string): boolean {
  return segment.toLowerCase().startsWith(PRIVATE_PREFIX);
}

/**
 * The game an event path concerns: its id, "all" when it cannot be told (the
 * games dir itself, or a path outside it), or null when it is irrelevant.
 */
export function classifyPath(gamesDir: string, path: string): string | "all" | null {
  // Most events of a download are in its staging folder: dropped before any path work.
  if (path.startsWith(gamesDir) && path.includes(PRIVATE_PREFIX, gamesDir.length)) {
    const rest = path.slice(gamesDir.length + 1).split(sep);
    if (rest.length > 1 && isGameId(rest[0]) && rest.slice(1).some(isPrivate)) return null;
  }
  const rel = relative(gamesDir, path);
  if (rel === "" || rel === ".." || rel.startsWith(".." + sep) || isAbsolute(rel)) return "all";
  const segments = rel.split(sep);
  const id = segments[0]!;
  if (!isGameId(id)) return null;
  // `<id>/local` itself decides "installed"; what happens below it does not matter.
  if (segments.length > 2 && segments[1] === INSTALLED_DIR) return null;
  if (segments.slice(1).some(isPrivate)) return null;
  return id;
}

/** Recursive watcher of one games dir, reporting dirty games until closed. */
export class DirWatcher {
  readonly dir: string;
  #watcher: Deno.FsWatcher | null = null;
  #loop: Promise<void> = Promise.resolve();
  #alive = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Whether the watcher runs (false when it could not start or has failed). */
  get alive(): boolean {
    return this.#alive;
  }

  /** Starts watching; false (with a warning) when the platform refuses. */
  start(onDirty: (dirty: Dirty) => void, log: Logger): boolean {
    try {
      this.#watcher = Deno.watchFs(this.dir, { recursive: true });
    } catch (error) {
      log.warn(
        `cannot watch ${this.dir}, relying on periodic rescans: ${(error as Error).message}`,
      );
      return false;
    }
    this.#alive = true;
    const watcher = this.#watcher;
    this.#loop = (async () => {
      try {
        for await (const event of watcher) {
          const dirty = this.#classify(event);
          if (dirty) onDirty(dirty);
        }
      } catch (error) {
        if (this.#watcher) log.warn(`watching ${this.dir} failed: ${(error as Error).message}`);
      } finally {
        this.#alive = false;
      }
    })();
    return true;
  }

  #classify(event: Deno.FsEvent): Dirty | null {
    if (event.flag === "rescan") return "all";
    const ids = new Set<string>();
    for (const path of event.paths) {
      const which = classifyPath(this.dir, path);
      if (which === "all") return "all";
      if (which) ids.add(which);
    }
    return ids.size > 0 ? ids : null;
  }

  /** Stops watching; resolves once the event loop has ended. */
  async close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = null;
    if (watcher) {
      try {
        watcher.close();
      } catch {
        // Already closed by a failure.
      }
    }
    await this.#loop;
  }
}

export interface WatchingOptions {
  debounceMs: number;
  log: Logger;
  /** Gets what changed, merged over `debounceMs`. */
  onDirty(dirty: Dirty): void;
}

/**
 * The watcher of the current games dir plus the debounce of what it (or
 * anyone else) marks dirty. Inactive until {@linkcode Watching.start}, and
 * again after {@linkcode Watching.stop}: then nothing is watched or timed.
 * While paused ({@linkcode Watching.pause}) nothing is watched either, and
 * the end of the pause marks everything dirty.
 */
export class Watching {
  readonly #o: WatchingOptions;
  #active = false;
  #watcher: DirWatcher | null = null;
  #identity: string | null = null;
  #dirty = new Set<string>();
  #all = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pauses = 0;

  constructor(options: WatchingOptions) {
    this.#o = options;
  }

  start(): void {
    this.#active = true;
  }

  /** Watches `dir`, (re)starting the watcher when there is none, it died, or `dir` was replaced. */
  async watch(dir: string): Promise<void> {
    if (!this.#active || this.#pauses > 0) return;
    let identity: string | null = null;
    try {
      const info = await Deno.stat(dir);
      identity = `${info.dev}:${info.ino}`;
    } catch {
      // Unknown identity: compared as such.
    }
    const watcher = this.#watcher;
    if (watcher?.alive && watcher.dir === dir && identity === this.#identity) return;
    await this.#close();
    if (!this.#active || this.#pauses > 0) return;
    const fresh = new DirWatcher(dir);
    if (fresh.start((dirty) => this.mark(dirty), this.#o.log)) {
      this.#watcher = fresh;
      this.#identity = identity;
    }
  }

  /** Records games that may have changed; ignored while inactive. */
  mark(dirty: Dirty): void {
    if (!this.#active) return;
    if (dirty === "all") this.#all = true;
    else for (const id of dirty) this.#dirty.add(id);
    // Not pushed back by later events: a steady stream of writes still gets rescans.
    this.#timer ??= setTimeout(() => this.#flush(), this.#o.debounceMs);
  }

  #flush(): void {
    this.#timer = undefined;
    const dirty: Dirty = this.#all ? "all" : new Set(this.#dirty);
    this.#dirty.clear();
    this.#all = false;
    this.#o.onDirty(dirty);
  }

  /**
   * Stops watching until every pause is released (call the returned
   * function once); the last release marks everything dirty, and the
   * rescan that follows starts the watcher again (`watch`).
   */
  pause(): () => void {
    if (++this.#pauses === 1) void this.#close();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#pauses === 0) this.mark("all");
    };
  }

  /** Whether a watcher runs now. */
  get watching(): boolean {
    return this.#watcher?.alive ?? false;
  }

  /** Stops the watcher of the previous games dir (the next `watch` starts one anew). */
  async unwatch(): Promise<void> {
    await this.#close();
  }

  /** Deactivates: stops watching and drops pending changes. */
  async stop(): Promise<void> {
    this.#active = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty.clear();
    this.#all = false;
    await this.#close();
  }

  async #close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = null;
    this.#identity = null;
    await watcher?.close();
  }
}
