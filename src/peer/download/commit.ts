/**
 * Turning a verified staging folder into the game, all or nothing
 * (ARCHITECTURE.md "Download commit and recovery"): an update either
 * completes, or leaves the old version complete and usable with the new one
 * still staged, never a mix.
 *
 * A journal in the state dir says what moves where, then:
 * 1. the old `version.ini` is moved aside into `<game>/.lanspread-previous/`
 *    (ours, marked), so the folder claims no version while it changes;
 * 2. old shared files the new version lacks, and whatever stands where a
 *    new file goes, are moved aside there too;
 * 3. the new files are renamed into place, `version.ini` last;
 * 4. the download record (which files lanspread wrote) is updated; of what
 *    was moved aside, files we wrote or that a new file replaces are
 *    deleted, files we did not write are kept in `<game>/.lanspread-kept/`
 *    (lanspread never deletes a file it did not write).
 * A move that fails (a file in use or protected) rolls everything back:
 * old files return, new files go back to staging, and the caller retries.
 *
 * A crash leaves the journal behind. At the next start
 * {@linkcode recoverCommits} checks that the new files are still the ones
 * staged (stamp, else their hashes against the manifest) and rolls forward;
 * otherwise it rolls back and the download resumes, re-verifying. `local/`
 * and `.lanspread*` are never touched. All renames stay in the game folder.
 *
 * Journal `<state>/downloads/<game>.commit.json`: {@linkcode CommitJournal}.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, syncFolders, writeFileAtomic } from "../../common/atomic.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/log.ts";
import { claimDir, NotOursError, removeOwned } from "../../common/owned_dir.ts";
import { isGameId, scanGame, wirePathError } from "../library/mod.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { nativePath, STAGING_DIR, type Stamp } from "./staging.ts";
import { clearProgress } from "./resume_state.ts";
import { readDownloadRecord, writeDownloadRecord } from "./owned_files.ts";
import { checkStaged, type JournalFile, journalFiles, stampFiles } from "./_commit_check.ts";
import { CommitError } from "./_commit_moves.ts";
import { applyForward, finishCommit, rollBack } from "./_commit_steps.ts";

export { CommitError } from "./_commit_moves.ts";
export type { JournalFile } from "./_commit_check.ts";

export const VERSION_FILE = "version.ini";
/** Old files during a commit. */
export const PREVIOUS_DIR = ".lanspread-previous";
/** Old files lanspread did not write, kept after an update. */
export const KEPT_DIR = ".lanspread-kept";

export interface CommitJournal {
  v: 2;
  game: string;
  version: string;
  manifestHash: string;
  /** The new version's files with the stamps they had in staging. */
  files: JournalFile[];
  /** Old shared files the new version does not have. */
  remove: string[];
  /** Files the previous download of ours wrote (the others are kept). */
  owned: string[];
  /** Sub-folder of KEPT_DIR for this commit. */
  kept: string;
}

/** Where a commit works. */
export interface CommitContext {
  stateDir: string;
  gamesDir: string;
  log: Logger;
}

export function journalPath(stateDir: string, game: string): string {
  return join(stateDir, "downloads", `${game}.commit.json`);
}

/** The folders of one game's commit. */
export function commitDirs(gamesDir: string, game: string) {
  const gameDir = join(gamesDir, game);
  return {
    gameDir,
    staging: join(gameDir, STAGING_DIR),
    staged: join(gameDir, STAGING_DIR, "files"),
    previous: join(gameDir, PREVIOUS_DIR),
    kept: join(gameDir, KEPT_DIR),
  };
}

/** What {@linkcode commitDownload} puts in place. */
export interface CommitTarget {
  manifest: Manifest;
  manifestHash: string;
  /** The staged files' stamps just taken, by file index; read from disk when absent. */
  staged?: ReadonlyMap<number, Stamp>;
}

/**
 * Commits a verified, flushed staging folder of `target.manifest`. Throws a
 * CommitError (`files-in-use`, `io-error`, `not-ours`) after rolling back:
 * the old version is then whole and the new one still staged.
 */
export async function commitDownload(ctx: CommitContext, target: CommitTarget): Promise<void> {
  const { manifest, manifestHash, staged } = target;
  const { game } = manifest;
  const dirs = commitDirs(ctx.gamesDir, game);
  const wanted = new Set(manifest.files.map((f) => f.path));
  const old = await scanGame(ctx.gamesDir, game);
  const journal: CommitJournal = {
    v: 2,
    game,
    version: manifest.version,
    manifestHash,
    files: staged ? journalFiles(manifest, staged) : await stampFiles(dirs.staged, manifest),
    remove: (old?.files ?? []).map((f) => f.path).filter((p) => !wanted.has(p)),
    owned: (await readDownloadRecord(ctx.stateDir, game))?.files ?? [],
    kept: new Date().toISOString().replace(/[:.]/g, "-"),
  };
  await writeFileAtomic(journalPath(ctx.stateDir, game), JSON.stringify(journal));
  try {
    await applyForward(dirs, journal);
  } catch (error) {
    try {
      await rollBack(dirs, journal);
    } catch (undo) {
      // Half applied and not undone: the journal stays, and the next start finishes or undoes it.
      throw new CommitError(
        "io-error",
        "",
        `the update of ${game} stopped half-way (${errorMessage(error)}) and could not be ` +
          `undone (${errorMessage(undo)}); it is finished or undone at the next start`,
        true,
      );
    }
    await Deno.remove(journalPath(ctx.stateDir, game)).catch(() => {});
    throw asCommitError(error);
  }
  await finish(ctx, journal);
}

function asCommitError(error: unknown): CommitError {
  if (error instanceof CommitError) return error;
  if (error instanceof NotOursError) return new CommitError("not-ours", error.path, error.message);
  return new CommitError("io-error", "", errorMessage(error));
}

async function finish(ctx: CommitContext, journal: CommitJournal): Promise<void> {
  const dirs = commitDirs(ctx.gamesDir, journal.game);
  // The renames must be on disk before the record says done and the journal goes:
  // the files' bytes were synced in staging, their new names are in these folders.
  await syncFolders(dirs.gameDir, journal.files.map((f) => f.path));
  await writeDownloadRecord(ctx.stateDir, {
    game: journal.game,
    version: journal.version,
    files: journal.files.map((f) => f.path),
  });
  const kept = await finishCommit(dirs, journal);
  if (kept > 0) {
    ctx.log.warn(
      `kept ${kept} old files of ${journal.game} that lanspread did not write, in ${
        join(dirs.kept, journal.kept)
      }`,
    );
  }
  await removeOwned(dirs.staging);
  // The journal before the progress record: a crash in between leaves a record of a
  // version we have, which the next start drops, never a journal we cannot check.
  await Deno.remove(journalPath(ctx.stateDir, journal.game)).catch(() => {});
  await clearProgress(ctx.stateDir, journal.game);
}

/** A journal as read back: refused unless every field and path is what we write. */
function parseJournal(raw: unknown): CommitJournal | null {
  const j = raw as Partial<CommitJournal> | undefined;
  if (!j || j.v !== 2 || !isGameId(j.game) || typeof j.version !== "string") return null;
  if (typeof j.manifestHash !== "string" || typeof j.kept !== "string") return null;
  if (!/^[0-9A-Za-z-]{1,40}$/.test(j.kept)) return null;
  const paths = (list: unknown) =>
    Array.isArray(list) && list.every((p) => typeof p === "string" && !wirePathError(p));
  if (!paths(j.remove) || !paths(j.owned) || !Array.isArray(j.files)) return null;
  if (!j.files.every((f) => typeof f?.size === "number" && paths([f.path]))) return null;
  return j as CommitJournal;
}

/**
 * Finishes or undoes every commit a crash interrupted, before the library
 * looks at the folder. Forward when the new files are still the ones
 * staged; otherwise back (the download's progress record stays, and the
 * resumed download verifies what is staged). A journal that cannot be read
 * is set aside once, with a warning. Returns the games completed.
 */
export async function recoverCommits(ctx: CommitContext): Promise<string[]> {
  const dir = join(ctx.stateDir, "downloads");
  const done: string[] = [];
  let names: string[] = [];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return done;
  }
  for (const name of names.filter((n) => n.endsWith(".commit.json"))) {
    const path = join(dir, name);
    const journal = parseJournal(await readJsonIfExists(path).catch(() => undefined));
    if (!journal || name !== `${journal.game}.commit.json`) {
      await Deno.rename(path, `${path}.bad`).catch(() => {});
      ctx.log.warn(`set aside an unreadable commit journal: ${name}.bad`);
      continue;
    }
    const dirs = commitDirs(ctx.gamesDir, journal.game);
    const problem = await checkStaged(dirs, journal, ctx.stateDir);
    try {
      if (problem) throw new Error(problem);
      await claimDir(dirs.previous);
      await applyForward(dirs, journal);
      await finish(ctx, journal);
      ctx.log.info(`completed the interrupted update of ${journal.game} to ${journal.version}`);
      done.push(journal.game);
    } catch (error) {
      await rollBack(dirs, journal).catch((undo) =>
        ctx.log.error(`cannot undo the update of ${journal.game}: ${errorMessage(undo)}`)
      );
      await Deno.remove(path).catch(() => {});
      ctx.log.warn(
        `undid the interrupted update of ${journal.game} (${errorMessage(error)}); ` +
          `the download resumes and checks what is staged`,
      );
    }
  }
  return done;
}

export { nativePath };
