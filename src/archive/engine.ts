/**
 * Inspection and extraction as plain functions of the thread that runs
 * them (the worker, see worker.ts; tests call them directly too).
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { ArchiveError, ioError } from "./errors.ts";
import type { ArchiveSet } from "./find.ts";
import { inspect, type Inspection } from "./inspect.ts";
import { ARCHIVE_LIMITS, type ArchiveLimits } from "./limits.ts";
import { extractRar } from "./rar.ts";
import { extractTar } from "./tar.ts";
import type { EntrySink } from "./types.ts";
import { type ExtractProgress, TreeWriter } from "./writer.ts";
import { extractZip } from "./zip.ts";

/** What an extraction wrote. */
export interface ExtractResult {
  /** Relative POSIX paths of every file and link written, sorted (the install's own files). */
  files: string[];
  /** Bytes written. */
  bytes: number;
}

/** Options of {@linkcode inspectSets}. */
export interface InspectSetsOptions {
  /** Caps that replace the defaults of {@linkcode ARCHIVE_LIMITS}. */
  limits?: Partial<ArchiveLimits>;
  /** Throws (the abort reason) when the work should stop. */
  checkAborted?: () => void;
}

/** Options of {@linkcode extractSets}. */
export interface ExtractSetsOptions extends InspectSetsOptions {
  /** Free bytes at the destination; read from the file system when omitted. */
  freeBytes?: number;
  /** Called once every entry is checked, before anything is written. */
  onInspected?: (inspection: Inspection) => void;
  onProgress?: (progress: ExtractProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
}

/** Unexpected failures (a file that vanished, a read error) become `io-error`. */
function asArchiveError(error: unknown, what: string): unknown {
  if (
    error instanceof ArchiveError || (error instanceof DOMException && error.name === "AbortError")
  ) {
    return error;
  }
  return ioError(error, what);
}

/** Lists and checks every entry of `sets`; see inspect.ts. */
export async function inspectSets(
  sets: ArchiveSet[],
  options: InspectSetsOptions = {},
): Promise<Inspection> {
  const limits = { ...ARCHIVE_LIMITS, ...options.limits };
  try {
    return await inspect(sets, limits, options.checkAborted ?? (() => {}));
  } catch (error) {
    throw asArchiveError(error, sets.map((s) => s.name).join(", "));
  }
}

/** Bytes free for us at `dir`, or null when the file system does not say. */
export async function freeBytesAt(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/**
 * Inspects `sets`, checks their declared size against the free space at
 * `dest`, then extracts them in order into `dest` (an existing folder).
 */
export async function extractSets(
  sets: ArchiveSet[],
  dest: string,
  options: ExtractSetsOptions = {},
): Promise<ExtractResult> {
  const limits = { ...ARCHIVE_LIMITS, ...options.limits };
  const checkAborted = options.checkAborted ?? (() => {});
  try {
    if (!Deno.lstatSync(dest).isDirectory) throw new Error("not a folder");
  } catch (error) {
    throw new ArchiveError("bad-request", `destination ${dest}: ${(error as Error).message}`);
  }
  const inspection = await inspectSets(sets, { limits, checkAborted });
  const free = options.freeBytes ?? await freeBytesAt(dest);
  if (free !== null && inspection.totalBytes > free) {
    throw new ArchiveError(
      "disk-full",
      `the archives need ${inspection.totalBytes} bytes; ${free} are free`,
    );
  }
  options.onInspected?.(inspection);
  const writer = new TreeWriter(dest, {
    limits,
    totalBytes: inspection.totalBytes,
    checkAborted,
    onProgress: options.onProgress,
    progressIntervalMs: options.progressIntervalMs,
  });
  let current = "";
  try {
    for (const set of sets) {
      current = set.name;
      const expected = inspection.entries.filter((e) => e.archive === set.name);
      const sink = writer.forSet(set.name, expected);
      await extractSet(set, sink);
      writer.endSet();
    }
    const files = writer.finish();
    return { files, bytes: writer.doneBytes };
  } catch (error) {
    throw asArchiveError(error, current);
  }
}

function extractSet(set: ArchiveSet, sink: EntrySink): Promise<void> {
  switch (set.format) {
    case "rar":
      return extractRar(set.volumes, set.name, sink);
    case "zip":
      return extractZip(set.volumes[0]!, set.name, sink);
    case "tar":
    case "tar.gz":
      return extractTar({
        path: set.volumes[0]!,
        archive: set.name,
        gzipped: set.format === "tar.gz",
        sink,
      });
  }
}
