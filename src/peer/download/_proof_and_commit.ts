/**
 * The end of a download that got every block: the proof that staging still
 * holds what was verified, then the commit, waited out and tried again while
 * a file is in use. Apart from download.ts because it is a phase of its own
 * with its own waits; download.ts shows it as "committing" or "blocked".
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { Logger } from "../../common/log.ts";
import { delay } from "../../common/async.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { type BlockPlan, verifyBlock } from "./plan.ts";
import { sameStamp, type Staging, type Stamp } from "./staging.ts";
import { commitDownload, CommitError } from "./commit.ts";
import type { DownloadTarget } from "./resume_state.ts";
import type { ResumeRecorder } from "./resume_recorder.ts";
import { DownloadFailure } from "./_outcome.ts";

/** Waits between commit attempts while a file is in use (the last one repeats). */
const COMMIT_RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** What the commit phase works with; all owned by the download. */
export interface CommitParts {
  target: DownloadTarget;
  plan: BlockPlan;
  staging: Staging;
  recorder: ResumeRecorder;
  gamesDir: string;
  stateDir: string;
  events: EventLog;
  log: Logger;
  /** Called once the new files are in place. */
  onCommitted: (manifest: Manifest) => Promise<void>;
  /** Holds the library's rescans of the game while its files move (returns the release). */
  hold?: (game: string) => () => void;
  /** @default {COMMIT_RETRY_MS} */
  commitRetryMs?: number[];
  now: () => number;
  /** Aborted when the download stops: the waits end and the commit is not tried again. */
  signal: AbortSignal;
  /** Why the commit waits (a file in use), or null once it is done. */
  onBlocked: (message: string | null) => void;
}

/**
 * The proof behind a commit: every staged file still has the stamp it had
 * right after our last verified write to it. One that does not (touched by
 * anything else since, or created here) is hashed again in full; a block
 * that no longer matches fails the download rather than commit it.
 */
async function prove(p: CommitParts, staged: ReadonlyMap<number, Stamp>): Promise<void> {
  const { manifest, stamps } = p.target;
  for (const [file, stamp] of staged) {
    const saved = stamps.get(file);
    if (saved && sameStamp(saved, stamp)) continue;
    for (let id = p.plan.firstOf[file]!; id < p.plan.firstOf[file + 1]!; id++) {
      const spec = p.plan.blocks[id]!;
      const bytes = await p.staging.read(file, spec.index * manifest.blockSize, spec.size);
      if (!bytes || !verifyBlock(p.plan, id, bytes)) {
        const path = manifest.files[file]!.path;
        throw new DownloadFailure("io-error", `staged ${path} was changed by something else`);
      }
    }
  }
}

/**
 * Commits all or nothing. While a file is in use (or the commit failed and
 * was undone) the download waits and tries again, the new version staged
 * and the old one whole, until it succeeds or is cancelled or stopped.
 */
export async function proveAndCommit(p: CommitParts): Promise<void> {
  const t0 = p.now();
  await p.recorder.save({ flush: true }); // every file stamped right after its last write
  const staged = await p.staging.complete();
  await p.staging.close();
  await prove(p, staged);
  const { game, version, manifest, manifestHash } = p.target;
  const ctx = { stateDir: p.stateDir, gamesDir: p.gamesDir, log: p.log };
  const waits = p.commitRetryMs ?? COMMIT_RETRY_MS;
  let blocked: string | null = null;
  let release = () => {};
  for (let attempt = 0;; attempt++) {
    release = p.hold?.(game) ?? (() => {});
    try {
      await commitDownload(ctx, { manifest, manifestHash, staged });
      break;
    } catch (error) {
      release();
      if (!(error instanceof CommitError) || error.code === "not-ours" || error.halfway) {
        throw error;
      }
      if (blocked !== error.message) {
        p.log.warn(`cannot put ${game} ${version} in place yet: ${error.message}`);
        p.events.emit("download-blocked", {
          game,
          code: error.code,
          path: error.path,
          message: error.message,
        });
      }
      blocked = error.message;
      p.onBlocked(blocked);
      const wait = waits[Math.min(attempt, waits.length - 1)]!;
      if (await delay(wait, { signal: p.signal }).then(() => false, () => true)) return;
    }
  }
  p.onBlocked(null);
  const t1 = p.now();
  try {
    await p.onCommitted(manifest);
  } finally {
    release();
  }
  p.log.info(
    `${game} ${version} is in place in ${p.gamesDir} ` +
      `(commit ${t1 - t0} ms, adopt ${p.now() - t1} ms)`,
  );
}
