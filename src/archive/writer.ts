/**
 * Writes extracted entries into the destination, never outside it: every
 * entry is checked again against what the inspection saw, folders are made
 * one level at a time and must be real folders, a file replaces whatever
 * was at its path (unlinked, then created exclusively, so no link is ever
 * followed), and symbolic links are made last, once no file will be written
 * below them. Bytes are counted as they are written: the caps hold even
 * when a header lies.
 *
 * @module
 */
import { join } from "node:path";
import { ArchiveError, ioError } from "./errors.ts";
import { checkEntryPath } from "./entry_path.ts";
import { checkExpansion } from "./inspect.ts";
import type { ArchiveLimits } from "./limits.ts";
import type { ArchiveEntry, EntrySink, FileSink, RawEntry } from "./types.ts";

/** What extraction reports while it runs. */
export interface ExtractProgress {
  /** The set being extracted. */
  archive: string;
  /** Bytes written so far, all sets together. */
  doneBytes: number;
  /** Declared bytes of all sets. */
  totalBytes: number;
}

/** Options of {@linkcode TreeWriter}. */
export interface TreeWriterOptions {
  limits: ArchiveLimits;
  totalBytes: number;
  checkAborted: () => void;
  onProgress?: (progress: ExtractProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
}

const isWindows = Deno.build.os === "windows";

/** One extraction's writes into `dest`; `forSet` gives the sink of each set in turn. */
export class TreeWriter {
  readonly #dest: string;
  readonly #o: TreeWriterOptions;
  /** Folders known to be real folders we may write in ("" is the destination). */
  #dirs = new Set<string>([""]);
  /** Every file and link written, by path (a later entry replaces an earlier one). */
  #written = new Map<string, "file" | "symlink">();
  #links: ArchiveEntry[] = [];
  #done = 0;
  #consumed = 0;
  #archive = "";
  #expected: ArchiveEntry[] = [];
  #next = 0;
  #lastProgress = 0;

  constructor(dest: string, options: TreeWriterOptions) {
    this.#dest = dest;
    this.#o = options;
  }

  /** Bytes written so far. */
  get doneBytes(): number {
    return this.#done;
  }

  /** The sink for the set `archive`, whose inspected entries are `expected` in order. */
  forSet(archive: string, expected: ArchiveEntry[]): EntrySink {
    this.#archive = archive;
    this.#expected = expected;
    this.#next = 0;
    this.#report(true);
    return {
      begin: (raw) => this.#begin(raw, expected[this.#next++], archive),
      consumed: (n) => (this.#consumed += n),
      produced: () => {},
      checkAborted: this.#o.checkAborted,
    };
  }

  /** The current set is done: it must have had every entry the inspection saw. */
  endSet(): void {
    if (this.#next !== this.#expected.length) {
      throw changed(this.#archive, "has fewer entries than inspected");
    }
  }

  /** Makes the symbolic links and returns the relative paths of every file and link written. */
  finish(): string[] {
    for (const link of this.#links) {
      const path = this.#abs(link.path);
      this.#removeFileAt(link.path);
      try {
        Deno.symlinkSync(link.target!, path);
      } catch (error) {
        throw ioError(error, `symbolic link ${link.path}`, link.archive);
      }
      this.#written.set(link.path, "symlink");
    }
    this.#report(true);
    return [...this.#written.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  #abs(path: string): string {
    return join(this.#dest, ...path.split("/"));
  }

  #begin(raw: RawEntry, expected: ArchiveEntry | undefined, archive: string): FileSink | null {
    this.#o.checkAborted();
    const path = checkEntryPath(raw.name, this.#o.limits).path;
    if (!expected || path !== expected.path || raw.kind !== expected.kind) {
      throw changed(
        archive,
        `has ${raw.name} where the inspection saw ${expected?.path ?? "no more entries"}`,
      );
    }
    if (expected.kind === "dir") {
      this.#ensureDir(expected.path, archive);
      return null;
    }
    this.#ensureDir(parentOf(expected.path), archive);
    if (expected.kind === "symlink") {
      this.#links.push(expected);
      return null;
    }
    this.#removeFileAt(expected.path);
    if (expected.kind === "hardlink") {
      this.#hardlink(expected);
      return null;
    }
    return this.#file(expected);
  }

  #hardlink(entry: ArchiveEntry): void {
    const from = this.#abs(entry.target!);
    const to = this.#abs(entry.path);
    try {
      Deno.linkSync(from, to);
    } catch {
      // File systems without hard links (FAT, exFAT): a copy, which counts as written bytes.
      try {
        Deno.copyFileSync(from, to);
        this.#done += Deno.statSync(to).size;
      } catch (error) {
        throw ioError(error, entry.path, entry.archive);
      }
    }
    this.#written.set(entry.path, "file");
  }

  #file(entry: ArchiveEntry): FileSink {
    const path = this.#abs(entry.path);
    let file: Deno.FsFile;
    try {
      const executable = !isWindows && entry.mode !== undefined && (entry.mode & 0o111) !== 0;
      file = Deno.openSync(path, {
        write: true,
        createNew: true,
        mode: executable ? 0o755 : 0o644,
      });
    } catch (error) {
      throw ioError(error, entry.path, entry.archive);
    }
    this.#written.set(entry.path, "file");
    let bytes = 0;
    const fail = (error: unknown): never => {
      file.close();
      throw error instanceof ArchiveError || error instanceof DOMException
        ? error
        : ioError(error, entry.path, entry.archive);
    };
    return {
      write: (chunk) => {
        bytes += chunk.length;
        this.#done += chunk.length;
        try {
          if (bytes > entry.size) {
            throw new ArchiveError(
              "too-large",
              `${entry.archive}: ${entry.path} holds more than the ${entry.size} bytes it declares`,
              entry.archive,
              entry.path,
            );
          }
          checkExpansion({
            produced: this.#done,
            consumed: this.#consumed,
            limits: this.#o.limits,
            what: `extracting ${entry.archive}`,
          });
          this.#o.checkAborted();
          for (let at = 0; at < chunk.length;) at += file.writeSync(chunk.subarray(at));
        } catch (error) {
          fail(error);
        }
        this.#report(false);
      },
      end: () => {
        if (bytes !== entry.size) {
          fail(
            new ArchiveError(
              "corrupt-archive",
              `${entry.archive}: ${entry.path} has ${bytes} of ${entry.size} bytes`,
              entry.archive,
              entry.path,
            ),
          );
        }
        file.close();
      },
    };
  }

  /** Makes `dir` and its parents, each a real folder (never a link to elsewhere). */
  #ensureDir(dir: string, archive: string): void {
    if (this.#dirs.has(dir)) return;
    this.#ensureDir(parentOf(dir), archive);
    const path = this.#abs(dir);
    try {
      Deno.mkdirSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw ioError(error, dir, archive);
      const info = Deno.lstatSync(path);
      if (!info.isDirectory) {
        throw new ArchiveError(
          "unsafe-archive",
          `${archive}: ${dir} exists and is not a folder`,
          archive,
          dir,
        );
      }
    }
    this.#dirs.add(dir);
  }

  /** Unlinks a file or link at `path` (never a folder); nothing there is fine. */
  #removeFileAt(path: string): void {
    try {
      Deno.removeSync(this.#abs(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw ioError(error, path, this.#archive);
    }
  }

  #report(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < (this.#o.progressIntervalMs ?? 250)) return;
    this.#lastProgress = now;
    this.#o.onProgress?.({
      archive: this.#archive,
      doneBytes: this.#done,
      totalBytes: this.#o.totalBytes,
    });
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function changed(archive: string, why: string): ArchiveError {
  return new ArchiveError(
    "corrupt-archive",
    `${archive} changed since it was inspected: it ${why}`,
    archive,
  );
}
