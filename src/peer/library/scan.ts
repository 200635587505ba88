/**
 * Scanning of the games directory (README "Where data lives").
 *
 * A game is a sub-folder whose name is a game id. Its shared files are every
 * regular file below it except the installed tree (`local/`) and our own
 * `.lanspread*` files. Symlinks: a file symlink is shared only when its real
 * path lies inside the game folder's real path; directory symlinks are never
 * followed (no loops, no escapes). A path the wire rules would refuse
 * (`wirePathError`) is not shared either, so that we never offer something
 * other peers reject. Scanning only stats files; hashing comes later. The
 * stats are synchronous while the inodes are hot (common/hot_fs.ts): a
 * rescan every 30 s of a big library must cost little CPU.
 *
 * @module
 */
import { join } from "node:path";
import { LIMITS } from "../../wire/protocol.ts";
import {
  comparePaths,
  INSTALLED_DIR,
  isGameId,
  PathClashes,
  PRIVATE_PREFIX,
  wirePathError,
} from "./paths.ts";
import { foldName } from "../../wire/names.ts";
import { isInside } from "./files.ts";
import { type GameMeta, readGameJson, readVersionIni } from "./metadata.ts";
import { errorMessage } from "../../common/errors.ts";
import { HotFs } from "../../common/hot_fs.ts";
import { type FileStamp, sameStamp, stampOf } from "./hasher.ts";

export type { GameMeta } from "./metadata.ts";

/** One shared file: relative POSIX path and the stamp (size, times, inode) it was scanned with. */
export interface SharedFile extends FileStamp {
  path: string;
}

/** What a scan learnt about one game folder. */
export interface ScannedGame {
  id: string;
  /** The game folder as joined from the games dir. */
  dir: string;
  /** Its real path; shared files resolve inside it. */
  realDir: string;
  /** Trimmed content of a valid version.ini, else null (not downloaded). */
  version: string | null;
  installed: boolean;
  /** Sorted by path (UTF-16 code units, as in manifests). */
  files: SharedFile[];
  size: number;
  meta: GameMeta;
  /** Why this game cannot be offered at all (unreadable folder, too many files). */
  error?: string;
  /** Problems worth telling the user about; none of them stops the scan. */
  warnings: string[];
}

export interface ScanResult {
  /** Valid game folders, sorted by id. */
  games: ScannedGame[];
  /** Top-level names that are not game folders, sorted. */
  ignored: string[];
}

/** Stats issued at once; enough to keep a disk busy without flooding the thread pool. */
const STAT_BATCH = 64;

function isPrivate(name: string): boolean {
  return name.toLowerCase().startsWith(PRIVATE_PREFIX);
}

class TooManyFiles extends Error {}

interface Walk {
  fs: HotFs;
  root: string;
  realRoot: string;
  files: SharedFile[];
  warnings: string[];
  installed: boolean;
}

/** The shared file a symlink stands for, or null with a warning. */
async function symlinkEntry(walk: Walk, full: string, rel: string): Promise<SharedFile | null> {
  let real: string;
  let info: Deno.FileInfo;
  try {
    real = await Deno.realPath(full);
    info = await Deno.stat(real);
  } catch (error) {
    // Dangling, a loop, or unreadable: one bad link must not spoil the game.
    walk.warnings.push(`not shared: ${rel}: broken symlink (${errorMessage(error)})`);
    return null;
  }
  if (!info.isFile) {
    walk.warnings.push(`not shared: ${rel}: symlink to a directory is not followed`);
    return null;
  }
  if (!isInside(real, walk.realRoot)) {
    walk.warnings.push(`not shared: ${rel}: symlink points outside the game folder`);
    return null;
  }
  return { path: rel, ...stampOf(info) };
}

/** A shared file for a non-directory entry, or null (with a warning when worth one). */
async function fileEntry(
  walk: Walk,
  entry: Deno.DirEntry,
  rel: string,
): Promise<SharedFile | null> {
  const full = join(walk.root, ...rel.split("/"));
  if (entry.isSymlink) return await symlinkEntry(walk, full, rel);
  if (!entry.isFile) {
    walk.warnings.push(`not shared: ${rel}: not a regular file`);
    return null;
  }
  try {
    const info = await walk.fs.lstat(full);
    return info.isFile ? { path: rel, ...stampOf(info) } : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null; // vanished since readDir
    throw error;
  }
}

/** Whether `path` is a folder (following symlinks); false when absent, rejects on other errors. */
async function isDirectoryAt(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function walkDir(walk: Walk, rel: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await walk.fs.readDir(rel ? join(walk.root, ...rel.split("/")) : walk.root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && rel) return; // removed while scanning
    throw error;
  }
  const subdirs: string[] = [];
  const others: [Deno.DirEntry, string][] = [];
  for (const entry of entries) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (isPrivate(entry.name)) continue;
    if (!rel && entry.name === INSTALLED_DIR) {
      walk.installed = await isDirectoryAt(join(walk.root, entry.name)).catch(() => false);
      continue;
    }
    const bad = wirePathError(path);
    if (bad) {
      walk.warnings.push(`not shared: ${path}: ${bad}`);
      continue;
    }
    if (entry.isDirectory) subdirs.push(path);
    else others.push([entry, path]);
  }
  for (let i = 0; i < others.length; i += STAT_BATCH) {
    const batch = others.slice(i, i + STAT_BATCH);
    const found = await Promise.all(batch.map(([entry, path]) => fileEntry(walk, entry, path)));
    for (const file of found) if (file) walk.files.push(file);
    if (walk.files.length > LIMITS.maxManifestFiles) throw new TooManyFiles();
  }
  for (const sub of subdirs) await walkDir(walk, sub);
}

/**
 * `files` (sorted) without those whose paths would collide with an earlier
 * one on a case-insensitive file system: a downloader on Windows or macOS
 * could not hold both, so only the first is shared.
 */
function withoutClashes(files: SharedFile[], warnings: string[]): SharedFile[] {
  const clashes = new PathClashes();
  return files.filter((file) => {
    const clash = clashes.add(file.path);
    if (clash) warnings.push(`not shared: ${file.path}: ${clash}`);
    return clash === null;
  });
}

/**
 * Scans one game folder. Null when `<gamesDir>/<id>` is not a folder (or `id`
 * is not a game id); an unreadable folder gives a game with `error` set.
 * Rejects only when even the folder's type cannot be told (e.g. the games dir
 * is unreadable), so that callers keep what they knew.
 */
export async function scanGame(
  gamesDir: string,
  id: string,
  fs: HotFs = new HotFs(),
): Promise<ScannedGame | null> {
  if (!isGameId(id)) return null;
  const dir = join(gamesDir, id);
  if (!(await isDirectoryAt(dir))) return null;
  const game: ScannedGame = {
    id,
    dir,
    realDir: dir,
    version: null,
    installed: false,
    files: [],
    size: 0,
    meta: {},
    warnings: [],
  };
  try {
    game.realDir = await Deno.realPath(dir);
    const walk: Walk = {
      fs,
      root: dir,
      realRoot: game.realDir,
      files: [],
      warnings: [],
      installed: false,
    };
    await walkDir(walk, "");
    walk.files.sort((a, b) => comparePaths(a.path, b.path));
    const files = withoutClashes(walk.files, walk.warnings);
    Object.assign(game, { files, installed: walk.installed, warnings: walk.warnings });
    game.size = files.reduce((sum, f) => sum + f.size, 0);
  } catch (error) {
    game.files = [];
    game.error = error instanceof TooManyFiles
      ? `more than ${LIMITS.maxManifestFiles} files`
      : `cannot read the game folder: ${errorMessage(error)}`;
    game.warnings.push(game.error);
    return game;
  }
  const shared = new Set(game.files.map((f) => f.path));
  game.version = await readVersionIni(dir, shared, game.warnings);
  game.meta = await readGameJson(dir, shared, game.warnings);
  return game;
}

/** Whether two scans of a game saw the same content (folder, version, files and their stamps). */
export function sameScan(a: ScannedGame, b: ScannedGame): boolean {
  if (a.dir !== b.dir || a.realDir !== b.realDir || a.version !== b.version) return false;
  if (a.error !== b.error || a.files.length !== b.files.length) return false;
  return a.files.every((f, i) => f.path === b.files[i]!.path && sameStamp(f, b.files[i]!));
}

/** Scans the whole games directory; rejects when the directory itself cannot be read. */
export async function scanGamesDir(gamesDir: string, signal?: AbortSignal): Promise<ScanResult> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(gamesDir)) {
    if (!isPrivate(entry.name)) names.push(entry.name);
  }
  names.sort(comparePaths);
  const games: ScannedGame[] = [];
  const ignored: string[] = [];
  const ids = new Map<string, string>();
  const fs = new HotFs(); // one reader: once the disk is met, the rest is read async
  for (const name of names) {
    signal?.throwIfAborted();
    // A single entry whose type cannot be told (a symlink loop) is ignored, not fatal.
    const game = await scanGame(gamesDir, name, fs).catch(() => null);
    if (!game) {
      ignored.push(name);
      continue;
    }
    // Two folders one Windows or macOS downloader would merge: the first is offered.
    const twin = ids.get(foldName(name));
    if (twin !== undefined) {
      game.error = `its id differs only in case from ${twin}`;
      game.warnings.push(`not offered: ${game.error}`);
    } else {
      ids.set(foldName(name), name);
    }
    games.push(game);
  }
  return { games, ignored };
}
