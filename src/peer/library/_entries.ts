/**
 * The library's state of every game folder, one {@linkcode Entry} per game:
 * what a scan's findings change in it, and how each game shows (its
 * {@linkcode GameView}). A game whose content a scan finds unchanged keeps
 * its entry (its generation, manifest and hashing job); a changed one gets a
 * new generation, so that the hash worker drops what it computed for the old
 * one. No I/O: when to scan is `_scans.ts`'s business, hashing and
 * publishing the library's.
 *
 * @module
 */
import type { Logger } from "../../common/log.ts";
import type { Entry } from "./hash_worker.ts";
import { sameScan, type ScannedGame } from "./scan.ts";
import { type GameView, isOffered } from "./view.ts";

/** The games a scan covered: these ids, or every game. */
export type ScanScope = ReadonlySet<string> | "all";

export interface EntriesOptions {
  log: Logger;
  /** Whether the game is queued for or being hashed. */
  isHashing(id: string): boolean;
  /** The installed version from the game's install record, or null. */
  installedVersion(game: string): string | null;
}

export class Entries {
  readonly #o: EntriesOptions;
  #entries = new Map<string, Entry>();
  #gen = 0;
  #reportedWarnings = new Map<string, Set<string>>();

  constructor(options: EntriesOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Entry | undefined {
    return this.#entries.get(id);
  }

  values(): MapIterator<Entry> {
    return this.#entries.values();
  }

  /** The entry of `game` when it is offered to peers. */
  offered(game: string): Entry | undefined {
    const entry = this.#entries.get(game);
    return entry && isOffered(this.view(entry)) ? entry : undefined;
  }

  view(entry: Entry): GameView {
    const view: GameView = { scan: entry.scan, hashing: this.#o.isHashing(entry.scan.id) };
    if (entry.served) view.manifestHash = entry.served.hash;
    if (entry.failed !== undefined) view.failed = entry.failed;
    const installed = entry.scan.installed ? this.#o.installedVersion(entry.scan.id) : null;
    if (installed !== null) view.installedVersion = installed;
    return view;
  }

  /** Replaces the state of the games in `scope` by `found`; returns the entries to prepare. */
  apply(found: ScannedGame[], scope: ScanScope): Entry[] {
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
    return toPrepare;
  }

  /** Replaces `entry` by a new generation of the same scan, whose hashes are computed anew. */
  renew(entry: Entry): Entry {
    const fresh: Entry = { scan: entry.scan, gen: ++this.#gen };
    this.#entries.set(entry.scan.id, fresh);
    return fresh;
  }

  #reportWarnings(scan: ScannedGame): void {
    const before = this.#reportedWarnings.get(scan.id);
    for (const warning of scan.warnings) {
      if (!before?.has(warning)) this.#o.log.warn(`${scan.id}: ${warning}`);
    }
    this.#reportedWarnings.set(scan.id, new Set(scan.warnings));
  }
}
