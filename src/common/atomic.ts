/**
 * Crash-safe file replacement: write a temporary file beside the target,
 * fsync it, rename it over the target, then fsync the folder where the
 * platform allows. A crash leaves either the old or the new content, never a
 * torn file (README "Where data lives": everything in the state dir is written this way).
 * Also making a freshly written tree durable before it is renamed into
 * place (`syncTree`), and flushing folders' entries (`syncDir`, `syncFolders`).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { eachLimited } from "./async.ts";
import { lstatSyncOrNull } from "./owned_dir.ts";

/**
 * Replaces `path` with `data` atomically, creating parent folders. `data`
 * may come in chunks (strings are UTF-8 encoded one at a time), so that a
 * large document is never held whole as one string and its bytes.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | Iterable<Uint8Array | string>,
): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const temp = join(dir, `.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const chunks = typeof data === "string" || data instanceof Uint8Array ? [data] : data;
  const encoder = new TextEncoder();
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      for (const chunk of chunks) {
        const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDir(dir);
}

/** Flushes a folder's entries (new names, renames) to disk where the platform allows. */
export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on folders; the rename itself is atomic.
  }
}

/** Options for {@linkcode syncTree}. */
export interface SyncTreeOptions {
  /** Files synced at once: the journal commits of many coalesce. @default {32} */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Makes the files `paths` (relative, `/`-separated) below `root` durable,
 * then every folder that holds them ({@linkcode syncFolders}), so that a
 * power loss after the tree is renamed into place cannot leave names
 * without their bytes. Links are neither followed nor synced. Rejects when
 * a sync fails (an I/O error).
 */
export async function syncTree(
  root: string,
  paths: readonly string[],
  options: SyncTreeOptions = {},
): Promise<void> {
  const { concurrency = 32, signal } = options;
  await eachLimited(paths, { concurrency, signal }, async (rel) => {
    const path = join(root, ...rel.split("/"));
    if (!lstatSyncOrNull(path)?.isFile) return; // a link, or gone
    // Writable: Windows flushes only handles opened for writing.
    using file = await Deno.open(path, { write: true });
    await file.syncData();
  });
  await syncFolders(root, paths, options);
}

/**
 * Flushes the entries of every folder on the way from `root` to each of
 * `paths` (relative, `/`-separated), `root` included: new names and
 * renames in them survive a power loss. Folders that are gone are skipped.
 */
export async function syncFolders(
  root: string,
  paths: readonly string[],
  options: SyncTreeOptions = {},
): Promise<void> {
  const folders = new Set<string>([root]);
  for (const rel of paths) {
    const parts = rel.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) folders.add(join(root, ...parts.slice(0, i)));
  }
  const { concurrency = 32, signal } = options;
  await eachLimited([...folders], { concurrency, signal }, syncDir);
}

/** The content of `path` as text, or null when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Parsed JSON of `path`, or undefined when it does not exist. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  const text = await readTextIfExists(path);
  return text === null ? undefined : JSON.parse(text);
}
