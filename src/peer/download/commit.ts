/**
 * Turning a verified staging folder into the game (DESIGN §3): a journal in
 * the state dir says what moves where, then files are renamed into place,
 * files of the old version that the new one lacks are removed, and
 * `version.ini` comes last, so the folder claims the new version only once
 * everything else is there. `local/` and `.lanspread*` are never touched.
 *
 * A crash in the middle leaves the journal behind; at the next start
 * {@linkcode recoverCommits} rolls it forward (every step is idempotent), so
 * a game is never left half old, half new.
 *
 * Journal `<state>/downloads/<game>.commit.json`:
 * `{ v: 1, game, version, files: [path...], remove: [path...] }`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../../common/atomic.ts";
import type { Logger } from "../../common/log.ts";
import { isGameId, scanGame, wirePathError } from "../library/mod.ts";
import type { Manifest } from "../../wire/protocol.ts";
import { nativePath, STAGING_DIR } from "./staging.ts";

const VERSION_FILE = "version.ini";

export interface CommitJournal {
  v: 1;
  game: string;
  version: string;
  /** Manifest paths to move from staging into the game folder. */
  files: string[];
  /** Paths of the old version that the new one does not have. */
  remove: string[];
}

export function journalPath(stateDir: string, game: string): string {
  return join(stateDir, "downloads", `${game}.commit.json`);
}

/**
 * Commits a verified download of `manifest`: its files replace the game's,
 * and shared files of the old version that the new one lacks are removed.
 */
export async function commitManifest(
  stateDir: string,
  gamesDir: string,
  manifest: Manifest,
): Promise<void> {
  const wanted = new Set(manifest.files.map((f) => f.path));
  const old = await scanGame(gamesDir, manifest.game).catch(() => null);
  await commit(stateDir, gamesDir, {
    v: 1,
    game: manifest.game,
    version: manifest.version,
    files: [...wanted],
    remove: (old?.files ?? []).map((f) => f.path).filter((p) => !wanted.has(p)),
  });
}

/** Writes the journal, then applies it. */
export async function commit(
  stateDir: string,
  gamesDir: string,
  journal: CommitJournal,
): Promise<void> {
  await writeFileAtomic(journalPath(stateDir, journal.game), JSON.stringify(journal));
  await applyJournal(stateDir, gamesDir, journal);
}

/**
 * Makes sure every folder on the way to `path` (below `gameDir`) is a real
 * folder: an old file or symlink in the way is removed, so a rename can
 * never land outside the game folder through a link. `known` holds folders
 * already checked during this commit.
 */
async function clearWay(gameDir: string, path: string, known: Set<string>): Promise<void> {
  const parts = path.split("/").slice(0, -1);
  let at = gameDir;
  for (const part of parts) {
    at = join(at, part);
    if (known.has(at)) continue;
    const info = await Deno.lstat(at).catch(() => null);
    if (info && !info.isDirectory) await Deno.remove(at);
    if (!info || !info.isDirectory) await Deno.mkdir(at).catch(() => {});
    known.add(at);
  }
}

/** Moves in parallel: thousands of small files are mostly waiting on the file system. */
const MOVE_CONCURRENCY = 16;

/** wirePathError also refuses `local/` and `.lanspread*`: a journal never touches them. */
function safe(path: string): boolean {
  return wirePathError(path) === null;
}

/** Applies a journal; safe to repeat after a crash at any point. */
export async function applyJournal(
  stateDir: string,
  gamesDir: string,
  journal: CommitJournal,
): Promise<void> {
  if (!isGameId(journal.game)) throw new Error(`bad game id in journal: ${journal.game}`);
  const gameDir = join(gamesDir, journal.game);
  const staged = join(gameDir, STAGING_DIR, "files");
  for (const path of journal.remove.filter(safe)) {
    await Deno.remove(nativePath(gameDir, path)).catch(() => {});
  }
  const known = new Set<string>();
  const move = async (path: string) => {
    const from = nativePath(staged, path);
    const to = nativePath(gameDir, path);
    await clearWay(gameDir, path, known);
    try {
      await Deno.rename(from, to);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return; // moved before a crash
      // An old folder where the new version has a file: it goes.
      if (!(await Deno.lstat(to).catch(() => null))?.isDirectory) throw error;
      await Deno.remove(to, { recursive: true });
      await Deno.rename(from, to);
    }
  };
  const files = journal.files.filter((p) => p !== VERSION_FILE && safe(p));
  let next = 0;
  await Promise.all(Array.from({ length: MOVE_CONCURRENCY }, async () => {
    while (next < files.length) await move(files[next++]!);
  }));
  // Last, once everything else is in place: the folder now claims the new version.
  if (journal.files.includes(VERSION_FILE)) await move(VERSION_FILE);
  await removeEmptyFolders(gameDir, journal.remove.filter(safe));
  await Deno.remove(join(gameDir, STAGING_DIR), { recursive: true }).catch(() => {});
  await Deno.remove(journalPath(stateDir, journal.game)).catch(() => {});
}

/** Removes folders that held only removed files (deepest first). */
async function removeEmptyFolders(gameDir: string, removed: string[]): Promise<void> {
  const folders = new Set<string>();
  for (const path of removed) {
    for (let dir = dirname(path); dir !== "." && dir !== "/"; dir = dirname(dir)) folders.add(dir);
  }
  const deepestFirst = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const dir of deepestFirst) {
    await Deno.remove(nativePath(gameDir, dir)).catch(() => {}); // fails unless empty
  }
}

/** Rolls forward every commit a crash interrupted. Returns the games it completed. */
export async function recoverCommits(
  stateDir: string,
  gamesDir: string,
  log: Logger,
): Promise<string[]> {
  const dir = join(stateDir, "downloads");
  const done: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return done;
  }
  for (const entry of entries) {
    if (!entry.name.endsWith(".commit.json")) continue;
    try {
      const journal = await readJsonIfExists(join(dir, entry.name)) as CommitJournal;
      await applyJournal(stateDir, gamesDir, journal);
      log.info(`completed the interrupted update of ${journal.game} to ${journal.version}`);
      done.push(journal.game);
    } catch (error) {
      log.error(`cannot complete interrupted commit ${entry.name}: ${error}`);
    }
  }
  return done;
}
