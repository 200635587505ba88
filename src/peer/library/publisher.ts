/**
 * Publication of the snapshot view: one revision per actual change, stored
 * in the library index before anyone hears of it (so that a crash never
 * reuses a revision peers saw), then announced to listeners and the event
 * log. Publications run one at a time, each computing the view afresh.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { type Logger } from "../../common/log.ts";
import { errorMessage } from "../../common/errors.ts";
import { LIMITS } from "../../wire/protocol.ts";
import type { LibraryDelta, LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { comparePaths } from "./paths.ts";
import { loadIndex, saveIndex } from "./index_store.ts";
import { diffViews, sortedGames } from "./view.ts";

export interface PublisherOptions {
  stateDir: string;
  log: Logger;
  /** Receives "local-library-changed" and "library-hashed". */
  events?: EventLog;
  /** Games offered at most; the first by id are. @default {LIMITS.maxGames} */
  maxGames?: number;
}

export class Publisher {
  readonly #stateDir: string;
  readonly #log: Logger;
  readonly #events?: EventLog;
  readonly #maxGames: number;
  #notOffered: string | null = null;
  #published = new Map<string, WireGame>();
  #snapshot: LibrarySnapshot = { rev: 0, games: [] };
  #listeners = new Set<(delta: LibraryDelta) => void>();
  #hashedReported = new Map<string, string>();
  #loaded: Promise<void> | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: PublisherOptions) {
    this.#stateDir = options.stateDir;
    this.#log = options.log;
    this.#events = options.events;
    this.#maxGames = options.maxGames ?? LIMITS.maxGames;
  }

  /** Why some games are not offered (more than maxGames), or null. */
  get notOffered(): string | null {
    return this.#notOffered;
  }

  /** Reads the stored index once; later publications compare against it. */
  load(): Promise<void> {
    return this.#loaded ??= loadIndex(this.#stateDir, this.#log).then((snapshot) => {
      this.#snapshot = snapshot;
      this.#published = new Map(snapshot.games.map((g) => [g.id, g]));
    });
  }

  get snapshot(): LibrarySnapshot {
    return this.#snapshot;
  }

  onChange(listener: (delta: LibraryDelta) => void): () => void {
    // Wrapped, so that registering one function twice gives two subscriptions.
    const own = (delta: LibraryDelta) => listener(delta);
    this.#listeners.add(own);
    return () => this.#listeners.delete(own);
  }

  /** Publishes the view `compute` returns when it runs; resolves once announced. */
  publish(compute: () => Map<string, WireGame>): Promise<void> {
    const run = this.#chain.then(() => this.#publishNow(compute()));
    this.#chain = run.catch((e) => this.#log.error(`publishing failed: ${errorMessage(e)}`));
    return run;
  }

  /** Resolves when every publication asked for so far is done. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** The first `maxGames` games of `view` by id: peers take no more (LIMITS.maxGames). */
  #capped(view: Map<string, WireGame>): Map<string, WireGame> {
    let note: string | null = null;
    if (view.size > this.#maxGames) {
      note = `${view.size} games downloaded: only the first ${this.#maxGames} (by id) ` +
        "are offered to peers";
      const ids = [...view.keys()].sort(comparePaths).slice(0, this.#maxGames);
      view = new Map(ids.map((id) => [id, view.get(id)!]));
    }
    // Once when it starts; status keeps the current count.
    if (note !== null && this.#notOffered === null) this.#log.warn(note);
    this.#notOffered = note;
    return view;
  }

  async #publishNow(all: Map<string, WireGame>): Promise<void> {
    await this.load();
    const view = this.#capped(all);
    const change = diffViews(this.#published, view);
    if (change) {
      const fromRev = this.#snapshot.rev;
      const snapshot: LibrarySnapshot = { rev: fromRev + 1, games: sortedGames(view) };
      await saveIndex(this.#stateDir, snapshot).catch((e) =>
        this.#log.warn(`cannot store the library index: ${errorMessage(e)}`)
      );
      this.#published = view;
      this.#snapshot = snapshot;
      this.#events?.emit("local-library-changed", { rev: snapshot.rev });
      const delta: LibraryDelta = { fromRev, toRev: snapshot.rev, ...change };
      for (const listener of [...this.#listeners]) {
        try {
          listener(delta);
        } catch (error) {
          this.#log.warn(`library listener failed: ${errorMessage(error)}`);
        }
      }
    }
    // After the revision, so that whoever hears of a hash finds it in the snapshot.
    for (const game of this.#snapshot.games) {
      if (!game.manifestHash || this.#hashedReported.get(game.id) === game.manifestHash) continue;
      this.#hashedReported.set(game.id, game.manifestHash);
      this.#events?.emit("library-hashed", { game: game.id, manifestHash: game.manifestHash });
    }
  }
}
