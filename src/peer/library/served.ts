/**
 * Turning a scanned game into something servable: hash the files the cache
 * does not know yet, then build the manifest from cached hashes only. A
 * served game remembers the exact stamp (size, times, inode) of each file it was built
 * from, so that a block read can tell a file that changed since.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { openChecked, readFrom, resolveInside, resolveInsideSync } from "./files.ts";
import type { HashCache } from "./hash_cache.ts";
import { blockCount, FileChangedError, hashFile, sha256Hex } from "./hasher.ts";
import { buildManifest } from "./manifest.ts";
import type { ScannedGame, SharedFile } from "./scan.ts";

/** A game whose manifest is built and whose blocks may be served. */
export interface Served {
  hash: string;
  bytes: Uint8Array;
  version: string;
  blockSize: number;
  dir: string;
  realDir: string;
  files: ReadonlyMap<string, SharedFile>;
}

export type CacheOutcome =
  | { kind: "served"; served: Served }
  | { kind: "missing" }
  | { kind: "failed"; reason: string };

/** The manifest of `scan` if the cache holds every block hash, built without reading a file. */
export function serveFromCache(
  scan: ScannedGame,
  cache: HashCache,
  blockSize: number,
): CacheOutcome {
  if (scan.version === null) return { kind: "failed", reason: "not downloaded" };
  const files = [];
  for (const file of scan.files) {
    const blocks = cache.get(file.path, file);
    if (!blocks) return { kind: "missing" };
    files.push({ path: file.path, size: file.size, blocks });
  }
  const built = buildManifest({ game: scan.id, version: scan.version, blockSize, files });
  if (built.bytes.length > LIMITS.maxPayloadBytes) {
    return { kind: "failed", reason: `manifest larger than ${LIMITS.maxPayloadBytes} bytes` };
  }
  return {
    kind: "served",
    served: {
      hash: built.hash,
      bytes: built.bytes,
      version: scan.version,
      blockSize,
      dir: scan.dir,
      realDir: scan.realDir,
      files: new Map(scan.files.map((f) => [f.path, f])),
    },
  };
}

/**
 * Block `index` of `path` as served (the bad-block recheck reads it), read
 * as a run of one: "absent", "changed" or an Error as {@linkcode ServedRun}.
 */
async function readServedBlock(
  served: Served,
  path: string,
  index: number,
): Promise<Uint8Array | "absent" | "changed" | Error> {
  const run = openServedRun(served, path, index, 1);
  if (run === "absent") return run;
  try {
    return await run.read(run.bytes);
  } finally {
    run.close();
  }
}

/** A run of blocks of a served file, read piece by piece (see `openServedRun`). */
export interface ServedRun {
  count: number;
  bytes: number;
  /**
   * The next `length` bytes of the run; "changed" when the file is no
   * longer the one hashed (or now resolves outside the game folder); an
   * Error for other read failures.
   */
  read(
    length: number,
    allocate?: (bytes: number) => ArrayBuffer,
  ): Promise<Uint8Array | "changed" | Error>;
  close(): void;
}

/**
 * Blocks `index` to `index + count - 1` of `path` (fewer at the end of the
 * file), sized without touching the file; "absent" when the manifest has no
 * such block. The file is resolved, opened and checked against its stamp at
 * the first read, once for the whole run; later reads go on from there.
 */
export function openServedRun(
  served: Served,
  path: string,
  index: number,
  count: number,
): ServedRun | "absent" {
  const file = served.files.get(path);
  const blocks = file ? blockCount(file.size, served.blockSize) : 0;
  if (!file || index >= blocks) return "absent";
  const offset = index * served.blockSize;
  const n = Math.min(count, blocks - index);
  const bytes = Math.min(n * served.blockSize, file.size - offset);
  let handle: Deno.FsFile | null = null;
  let position = 0;
  let closed = false;
  return {
    count: n,
    bytes,
    read: async (length, allocate) => {
      if (closed || position + length > bytes) return new Error("read past the run");
      try {
        if (!handle) {
          const real = resolveInsideSync(served.dir, served.realDir, path);
          if (real === null) return "changed";
          const opened = openChecked(real, file, offset);
          if (closed) {
            opened.close();
            return new Error("closed");
          }
          handle = opened;
        }
        const piece = await readFrom(handle, path, length, allocate);
        position += length;
        return piece;
      } catch (error) {
        if (error instanceof FileChangedError || error instanceof Deno.errors.NotFound) {
          return "changed";
        }
        return error instanceof Error ? error : new Error(String(error));
      }
    },
    close: () => {
      closed = true;
      try {
        handle?.close();
      } catch {
        // Already closed.
      }
      handle = null;
    },
  };
}

/** Block hashes of each file of a served manifest, parsed from its bytes on first use. */
const blockHashes = new WeakMap<Served, Map<string, string[]>>();

/** The hash the manifest of `served` gives block `index` of `path`, if it has that block. */
export function servedBlockHash(served: Served, path: string, index: number): string | undefined {
  let files = blockHashes.get(served);
  if (!files) {
    // Our own canonical bytes (manifest.ts): only parsed when a peer reports a bad block.
    const manifest = JSON.parse(new TextDecoder().decode(served.bytes)) as Manifest;
    files = new Map(manifest.files.map((f) => [f.path, f.blocks]));
    blockHashes.set(served, files);
  }
  return files.get(path)?.[index];
}

/**
 * Reads block `index` of `path` again and compares it with the served
 * manifest: "good", "bad" (the content changed under an unchanged stamp),
 * "changed" (the stamp moved: a rescan handles it), "absent" (no such
 * block), or an Error when it cannot be read.
 */
export async function recheckServedBlock(
  served: Served,
  path: string,
  index: number,
): Promise<"good" | "bad" | "changed" | "absent" | Error> {
  const expected = servedBlockHash(served, path, index);
  if (expected === undefined) return "absent";
  const block = await readServedBlock(served, path, index);
  if (typeof block === "string" || block instanceof Error) return block;
  return sha256Hex(block) === expected ? "good" : "bad";
}

/**
 * Small files are hashed a few at a time: for them the cost is in the
 * round trips of open/stat/read/close, not in the disk. Large files go one
 * at a time, read sequentially into the shared buffer.
 */
const SMALL_FILE_CONCURRENCY = 8;

async function hashOne(
  scan: ScannedGame,
  cache: HashCache,
  file: SharedFile,
  blockSize: number,
  signal: AbortSignal,
  buffer?: Uint8Array,
): Promise<void> {
  signal.throwIfAborted();
  const real = await resolveInside(scan.dir, scan.realDir, file.path);
  if (real === null) throw new FileChangedError(`${file.path} now resolves outside the game`);
  const blocks = await hashFile(real, file, blockSize, { signal, buffer });
  cache.set(file.path, file, blocks);
}

/**
 * Hashes every file of `scan` that `cache` does not know, storing results as
 * it goes (so an interrupted run keeps its progress). Rejects with
 * {@linkcode FileChangedError} when a file no longer matches the scan or now
 * resolves outside the game folder, and with the signal's reason on abort.
 */
export async function hashMissing(
  scan: ScannedGame,
  cache: HashCache,
  blockSize: number,
  signal: AbortSignal,
  buffer: Uint8Array,
): Promise<void> {
  const missing = scan.files.filter((f) => !cache.get(f.path, f));
  const small = missing.filter((f) => f.size <= blockSize);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < small.length && !failed) {
      try {
        await hashOne(scan, cache, small[next++]!, blockSize, signal);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // allSettled: no read may still be running once this function has returned.
  const results = await Promise.allSettled(Array.from({ length: SMALL_FILE_CONCURRENCY }, worker));
  const rejected = results.find((r) => r.status === "rejected");
  if (rejected) throw rejected.reason;
  for (const file of missing) {
    if (file.size > blockSize) await hashOne(scan, cache, file, blockSize, signal, buffer);
  }
}
