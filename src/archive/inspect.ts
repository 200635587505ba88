/**
 * Inspection: every entry of every set is listed and checked before a byte
 * is written (ARCHITECTURE.md "Install: transactions and recovery"). One unsafe name, encrypted entry or cap exceeded
 * refuses the whole install.
 *
 * @module
 */
import { ArchiveError } from "./errors.ts";
import { checkEntryPath, linkTargetError } from "./entry_path.ts";
import type { ArchiveSet } from "./find.ts";
import type { ArchiveLimits } from "./limits.ts";
import { listRar } from "./rar.ts";
import { listTar } from "./tar.ts";
import type { ArchiveEntry, EntryKind, Meter, RawEntry } from "./types.ts";
import { listZip } from "./zip.ts";

/** Everything the archives of a game will write, checked. */
export interface Inspection {
  /** Every entry of every set, sets in extraction order, entries in archive order. */
  entries: ArchiveEntry[];
  /** Declared bytes of all file entries. */
  totalBytes: number;
  /** Bytes of the archive files. */
  archiveBytes: number;
}

/** Lists one set's raw entries with the right reader. */
export function listSet(set: ArchiveSet, meter: Meter): Promise<RawEntry[]> {
  const path = set.volumes[0]!;
  switch (set.format) {
    case "rar":
      return listRar(set.volumes, set.name);
    case "zip":
      return listZip(path, set.name);
    case "tar":
    case "tar.gz":
      return listTar({ path, archive: set.name, gzipped: set.format === "tar.gz", meter });
  }
}

function unsafe(set: string, entry: string, why: string): ArchiveError {
  return new ArchiveError("unsafe-archive", `${set}: ${JSON.stringify(entry)}: ${why}`, set, entry);
}

/**
 * Checks one raw entry of `set` into an {@linkcode ArchiveEntry}; `tree` is
 * the final state of every path so far (what is there once all earlier
 * entries are written), updated here.
 */
export function checkEntry(
  o: { raw: RawEntry; set: string; limits: ArchiveLimits; tree: Map<string, EntryKind> },
): ArchiveEntry {
  const { raw, set, limits, tree } = o;
  if (raw.encrypted) {
    throw new ArchiveError("password-required", `${set}: ${raw.name} is encrypted`, set, raw.name);
  }
  const checked = checkEntryPath(raw.name, limits);
  if (checked.error !== undefined) {
    if (checked.tooLong) {
      throw new ArchiveError("too-large", `${set}: ${raw.name}: ${checked.error}`, set, raw.name);
    }
    throw unsafe(set, raw.name, checked.error);
  }
  const path = checked.path;
  const entry: ArchiveEntry = { archive: set, path, kind: raw.kind, size: raw.size };
  if (raw.compressedSize !== undefined) entry.compressedSize = raw.compressedSize;
  if (raw.mode !== undefined) entry.mode = raw.mode;
  if (raw.kind === "symlink") {
    if (raw.target === undefined) throw unsafe(set, raw.name, "a link whose target cannot be read");
    const why = linkTargetError(path, raw.target);
    if (why) throw unsafe(set, raw.name, why);
    entry.target = raw.target.replaceAll("\\", "/");
  } else if (raw.kind === "hardlink") {
    const target = raw.target === undefined ? null : checkEntryPath(raw.target, limits).path;
    if (!target || tree.get(target) !== "file") {
      throw unsafe(set, raw.name, `a hard link to ${raw.target}, which is no earlier file`);
    }
    entry.target = target;
  }
  placeInTree(entry, tree, set);
  return entry;
}

/** Records `entry` in `tree`, refusing entries under links or files, and files over folders. */
function placeInTree(entry: ArchiveEntry, tree: Map<string, EntryKind>, set: string): void {
  const segments = entry.path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join("/");
    const kind = tree.get(parent);
    if (kind === "symlink") throw unsafe(set, entry.path, `inside ${parent}, a symbolic link`);
    if (kind !== undefined && kind !== "dir") {
      throw unsafe(set, entry.path, `inside ${parent}, a file`);
    }
    tree.set(parent, "dir");
  }
  const existing = tree.get(entry.path);
  if (existing === "dir" && entry.kind !== "dir") {
    throw unsafe(set, entry.path, "a file where the archives also have a folder");
  }
  if (existing !== undefined && existing !== "dir" && entry.kind === "dir") {
    throw unsafe(set, entry.path, "a folder where the archives also have a file");
  }
  tree.set(entry.path, entry.kind);
}

/** A meter for listings: tar.gz bombs are stopped while they are decompressed. */
export function listingMeter(limits: ArchiveLimits, checkAborted: () => void): Meter {
  let consumed = 0;
  let produced = 0;
  return {
    consumed: (n) => (consumed += n),
    produced(n) {
      produced += n;
      checkExpansion({ produced, consumed, limits, what: "decompressing to list it" });
    },
    checkAborted,
  };
}

/** Throws `too-large` when `produced` bytes out of `consumed` break the total or ratio caps. */
export function checkExpansion(
  o: { produced: number; consumed: number; limits: ArchiveLimits; what: string },
) {
  const { produced, consumed, limits, what } = o;
  if (produced > limits.maxTotalBytes) {
    throw new ArchiveError("too-large", `more than ${limits.maxTotalBytes} bytes ${what}`);
  }
  if (produced > limits.ratioGraceBytes && produced > limits.maxRatio * Math.max(consumed, 1)) {
    throw new ArchiveError("too-large", `expands more than ${limits.maxRatio}:1 ${what}`);
  }
}

/** Lists and checks every entry of `sets` (in order); throws on the first refusal. */
export async function inspect(
  sets: ArchiveSet[],
  limits: ArchiveLimits,
  checkAborted: () => void,
): Promise<Inspection> {
  const tree = new Map<string, EntryKind>();
  const entries: ArchiveEntry[] = [];
  let totalBytes = 0;
  let archiveBytes = 0;
  for (const set of sets) {
    checkAborted();
    archiveBytes += set.bytes;
    let raws: RawEntry[];
    try {
      raws = await listSet(set, listingMeter(limits, checkAborted));
    } catch (error) {
      if (error instanceof ArchiveError && !error.archive) {
        throw new ArchiveError(error.code, `${set.name}: ${error.message}`, set.name);
      }
      throw error;
    }
    for (const raw of raws) {
      const entry = checkEntry({ raw, set: set.name, limits, tree });
      entries.push(entry);
      totalBytes += entry.size;
      if (entries.length > limits.maxEntries) {
        throw new ArchiveError("too-large", `more than ${limits.maxEntries} entries`, set.name);
      }
      if (totalBytes > limits.maxTotalBytes) {
        throw new ArchiveError("too-large", `more than ${limits.maxTotalBytes} bytes`, set.name);
      }
    }
  }
  if (totalBytes > limits.ratioGraceBytes && totalBytes > limits.maxRatio * archiveBytes) {
    throw new ArchiveError(
      "too-large",
      `declares ${totalBytes} bytes out of ${archiveBytes}: more than ${limits.maxRatio}:1`,
    );
  }
  return { entries, totalBytes, archiveBytes };
}
