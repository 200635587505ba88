/**
 * What a restart left: the saved downloads, each handed back to be resumed
 * or, when its record cannot be read or its version is in place already,
 * dropped with its staged data. Apart from manager.ts, which runs once at
 * start through this and claims and runs what it is handed.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../common/log.ts";
import { removeOwned } from "../../common/owned_dir.ts";
import { compareVersions } from "../library/mod.ts";
import {
  clearProgress,
  type DownloadTarget,
  loadProgress,
  type SavedDownload,
} from "./resume_state.ts";
import { STAGING_DIR } from "./staging.ts";

/** Options for {@linkcode resumeSaved}. */
export interface ResumeOptions {
  /** The games dir at the time a download starts. */
  gamesDir: () => string;
  stateDir: string;
  log: Logger;
  /** The local version of a game, if downloaded. */
  localVersion: (game: string) => string | null;
  /** Whether the game is being downloaded already (its record is left alone). */
  active: (game: string) => boolean;
  /** Resumes a saved download (it stalls until a source appears). */
  resume: (target: DownloadTarget) => void;
}

/**
 * Resumes every download a restart interrupted. A record that cannot be
 * read, or of a version that is in place already, is dropped with its
 * staged data.
 */
export async function resumeSaved(o: ResumeOptions): Promise<void> {
  const { saved, bad } = await loadProgress(o.stateDir);
  for (const record of bad) {
    o.log.warn(`cannot resume download ${record.name}: ${record.reason}; dropped`);
    if (record.game) await forgetSaved(o, record.game);
  }
  for (const s of saved) {
    if (o.active(s.game)) continue;
    const local = o.localVersion(s.game);
    if (local !== null && compareVersions(local, s.version) >= 0) {
      o.log.info(`${s.game} ${local} is in place: dropping the download of ${s.version}`);
      await forgetSaved(o, s.game);
      continue;
    }
    o.log.info(
      `resuming download of ${s.game} ${s.version} ` +
        `(${s.verified.size} blocks verified, ${s.unconfirmed.size} to check)`,
    );
    o.resume(targetOf(s));
  }
}

async function forgetSaved(o: ResumeOptions, game: string): Promise<void> {
  const gameDir = join(o.gamesDir(), game);
  await removeOwned(join(gameDir, STAGING_DIR)).catch(() => {});
  await Deno.remove(gameDir).catch(() => {}); // only when that left it empty
  await clearProgress(o.stateDir, game);
}

/** The target a saved record resumes. */
function targetOf(saved: SavedDownload): DownloadTarget {
  const { manifestBytes: _bytes, ...target } = saved;
  return target;
}
