/**
 * Finds the archives of a game: the regular files at its root whose content
 * is an archive (see sniff.ts), RAR volumes grouped into sets (volumes.ts),
 * in the order they are extracted.
 *
 * @module
 */
import { join } from "node:path";
import { ArchiveError, ioError } from "./errors.ts";
import { RESERVED_PREFIX } from "./entry_path.ts";
import { type ArchiveFormat, SNIFF_BYTES, sniffFormat } from "./sniff.ts";
import { groupVolumes } from "./volumes.ts";

/** One archive: a single file, or every volume of a multi-volume RAR. */
export interface ArchiveSet {
  /** The file name of its first volume, relative to the game folder. */
  name: string;
  format: ArchiveFormat;
  /** Absolute paths of its files in volume order. */
  volumes: string[];
  /** Bytes of all its files. */
  bytes: number;
}

/** Options of {@linkcode findArchives}. */
export interface FindOptions {
  signal?: AbortSignal;
}

/** Names at a game's root that are never archives to install. */
const NOT_ARCHIVES = new Set(["version.ini", "game.json"]);

/** The order sets are extracted in: UTF-16 code units, as `comparePaths` (library/paths.ts). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The archive sets among the regular files at the root of `gameDir` (not
 * recursing; `version.ini`, `game.json`, `.lanspread*` and folders such as
 * `local/` are skipped), sorted by name. Rejects with `corrupt-archive`
 * naming the set when a RAR set misses a volume, `io-error` when the folder
 * cannot be read.
 */
export async function findArchives(
  gameDir: string,
  options: FindOptions = {},
): Promise<ArchiveSet[]> {
  const { signal } = options;
  const found: { name: string; format: ArchiveFormat; bytes: number }[] = [];
  try {
    for await (const entry of Deno.readDir(gameDir)) {
      signal?.throwIfAborted();
      if (!entry.isFile || NOT_ARCHIVES.has(entry.name.toLowerCase())) continue;
      if (entry.name.toLowerCase().startsWith(RESERVED_PREFIX)) continue;
      const sniffed = await sniffFile(join(gameDir, entry.name));
      if (sniffed) found.push({ name: entry.name, ...sniffed });
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw ioError(error, gameDir);
  }
  const sizes = new Map(found.map((f) => [f.name, f.bytes]));
  const sets: ArchiveSet[] = [];
  for (const group of groupVolumes(found.filter((f) => f.format === "rar").map((f) => f.name))) {
    if (group.problem) {
      throw new ArchiveError("corrupt-archive", `${group.name}: ${group.problem}`, group.name);
    }
    const bytes = group.volumes.reduce((sum, v) => sum + sizes.get(v)!, 0);
    sets.push({
      name: group.name,
      format: "rar",
      volumes: group.volumes.map((v) => join(gameDir, v)),
      bytes,
    });
  }
  for (const f of found) {
    if (f.format !== "rar") {
      sets.push({
        name: f.name,
        format: f.format,
        volumes: [join(gameDir, f.name)],
        bytes: f.bytes,
      });
    }
  }
  return sets.sort((a, b) => compareNames(a.name, b.name));
}

async function sniffFile(path: string): Promise<{ format: ArchiveFormat; bytes: number } | null> {
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(SNIFF_BYTES);
  let filled = 0;
  while (filled < head.length) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  const format = sniffFormat(head.subarray(0, filled));
  return format && { format, bytes: (await file.stat()).size };
}
