/**
 * The steps of an install after the swap, which recovery also takes: carry
 * the user's files, record the new version, retire the old tree. The
 * forward run takes them in order (transaction.ts `finishInstall`) and
 * recovery one at a time as its table says (recover.ts: `carry`,
 * `write-record`, `drop-backup`); each can be taken again after a crash
 * part-way. Apart from transaction.ts so that recovery needs none of the
 * forward run.
 *
 * @module
 */
import { join } from "node:path";
import { OWNER_FILE } from "../../common/owned_dir.ts";
import { type InstallDirs, type Intent, writeIntent, writeRecord } from "./records.ts";
import { carry, dropDir, present, userFiles } from "./steps.ts";
import type { TxContext } from "./types.ts";

/** A subfolder of `.lanspread-kept/` for the user's files an update could not put back. */
function keptDir(dirs: InstallDirs): string {
  return join(dirs.kept, `local-${new Date().toISOString().replace(/[:.]/g, "-")}`);
}

/**
 * Lists the user's files in the backup once (intent `carrying`), then moves
 * them into `local/`; a second call (recovery) moves what is left of that list.
 */
export async function carryStep(
  ctx: TxContext,
  dirs: InstallDirs,
  intent: Intent,
  options: { mark?: (point: string) => Promise<void> } = {},
): Promise<string[]> {
  const mark = options.mark ?? (async () => {});
  if (intent.step !== "carrying") {
    // Without a record of what the previous install wrote, nothing in it can be told apart
    // as the user's: the old tree is kept whole instead (retireBackup).
    intent.carried = intent.previous ? await userFiles(dirs.backup, intent.previous.files) : [];
    intent.step = "carrying";
    await writeIntent(ctx.stateDir, intent);
    await mark("carrying");
  }
  const kept = await carry(dirs, {
    paths: intent.carried,
    kept: keptDir(dirs),
    afterFirst: () => mark("carried-one"),
  });
  if (kept.length) {
    ctx.log.warn(
      `${intent.game}: the new version also ships ${kept.length} of your files (${
        kept.slice(0, 3).join(", ")
      }${kept.length > 3 ? ", ..." : ""}); yours are kept in ${dirs.kept}`,
    );
  }
  return kept;
}

/**
 * The old tree's end once the new one is in place: deleted, except after an
 * update of a `local/` lanspread has no record of (made by hand, or the
 * state dir was lost), which is kept whole in `.lanspread-kept/`.
 */
export async function retireBackup(
  ctx: TxContext,
  dirs: InstallDirs,
  intent: Intent,
): Promise<void> {
  if (intent.op !== "install" || intent.previous !== null || !(await present(dirs)).backup) {
    return await dropDir(dirs.backup);
  }
  const target = keptDir(dirs);
  await Deno.mkdir(dirs.kept, { recursive: true });
  await Deno.remove(join(dirs.backup, OWNER_FILE)).catch(() => {});
  await Deno.rename(dirs.backup, target);
  ctx.log.warn(
    `${intent.game}: lanspread has no record of the files in the previous local/; ` +
      `it is kept whole in ${target}: copy your saves from there`,
  );
}

/** Records the new version and its files, then intent `cleaning`. */
export async function recordStep(
  ctx: TxContext,
  intent: Intent,
  mark: (point: string) => Promise<void> = async () => {},
): Promise<void> {
  await writeRecord(ctx.stateDir, {
    game: intent.game,
    gamesDir: ctx.gamesDir,
    version: intent.version!,
    files: intent.files,
    played: false,
  });
  intent.step = "cleaning";
  await writeIntent(ctx.stateDir, intent);
  await mark("recorded");
}
