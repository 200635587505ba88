/**
 * The startup recovery table (ARCHITECTURE.md "Install: transactions and
 * recovery"): for an interrupted operation's intent and which of `local/`,
 * staging and backup exist, the steps that end the game in the old or the
 * new complete `local/`, never a mix. Pure: recover.ts carries the steps out.
 *
 * Why each row is safe rests on the order of the forward steps (transaction.ts):
 * `extracting` writes only into staging; `swapping` renames `local/` to the
 * backup, then staging to `local/` (two atomic renames); `carrying` moves the
 * user's files from the backup into `local/`; `cleaning` starts once the new
 * record is written. So in `swapping` a missing staging means it became
 * `local/`, and a backup means the old `local/` is complete inside it.
 *
 * @module
 */
import type { IntentOp, IntentStep } from "./records.ts";

/** What exists in the game folder (lstat, real folders only). */
export interface Present {
  local: boolean;
  staging: boolean;
  backup: boolean;
}

/**
 * - `drop-staging`: delete staging (ours: the intent or our marker says so);
 * - `backup-local`: rename `local/` to the backup;
 * - `promote`: rename staging to `local/`;
 * - `carry`: move the user's files (old files the previous install did not write) from the backup into `local/`;
 * - `write-record`: record the new version and its files (less those the user's replaced);
 * - `restore`: rename the backup back to `local/`;
 * - `restore-record`: put the previous record back (or none);
 * - `clear-record`: no install record;
 * - `drop-backup`: delete the backup;
 * - `keep-backup`: leave the backup where it is and warn (nothing decides it safely);
 * - `remove-files`: go on deleting the downloaded files (remove).
 */
export type Action =
  | "drop-staging"
  | "backup-local"
  | "promote"
  | "carry"
  | "write-record"
  | "restore"
  | "restore-record"
  | "clear-record"
  | "drop-backup"
  | "keep-backup"
  | "remove-files";

/** How a row ends: the old `local/` (or none when there was none), the new, none at all, or `local/` untouched. */
export type Ending = "old" | "new" | "none" | "untouched";

export interface Decision {
  actions: Action[];
  ends: Ending;
}

/** The intent as the table needs it; null when there is none. */
export type IntentKey = { op: IntentOp; step: IntentStep } | null;

const FINISH: Action[] = ["carry", "write-record", "drop-backup"];

/** The row of the table for `intent` and what is `present`. */
export function decide(intent: IntentKey, present: Present): Decision {
  const { local: L, staging: S, backup: B } = present;
  const dropS: Action[] = S ? ["drop-staging"] : [];
  const keepB: Action[] = B ? ["keep-backup"] : [];
  if (intent === null) {
    // No intent: only staging carrying our marker is ours to drop (recover.ts checks the
    // marker); a backup may hold a user's files, so it stays.
    return { actions: [...dropS, ...keepB], ends: "untouched" };
  }
  if (intent.op === "remove") {
    return { actions: [...dropS, "remove-files", ...keepB], ends: "untouched" };
  }
  if (intent.op === "uninstall") {
    if (L && B) {
      return {
        actions: [...dropS, "drop-backup", "backup-local", "clear-record", "drop-backup"],
        ends: "none",
      };
    }
    if (L) {
      return { actions: [...dropS, "backup-local", "clear-record", "drop-backup"], ends: "none" };
    }
    if (B) return { actions: [...dropS, "clear-record", "drop-backup"], ends: "none" };
    return { actions: [...dropS, "clear-record"], ends: "none" };
  }
  switch (intent.step) {
    case "extracting":
    case "removing":
      // Nothing but staging changed yet (a backup here would be an old tree: it goes back).
      if (B && !L) return { actions: [...dropS, "restore", "restore-record"], ends: "old" };
      return { actions: [...dropS, ...keepB], ends: "old" };
    case "swapping":
      if (L && S && B) return { actions: ["drop-staging", "keep-backup"], ends: "untouched" };
      if (L && S) return { actions: ["backup-local", "promote", ...FINISH], ends: "new" };
      if (S && B) return { actions: ["promote", ...FINISH], ends: "new" };
      if (L && B) return { actions: FINISH, ends: "new" };
      if (S) return { actions: ["promote", "write-record"], ends: "new" };
      if (L) return { actions: ["write-record"], ends: "new" };
      if (B) return { actions: ["restore", "restore-record"], ends: "old" };
      return { actions: ["clear-record"], ends: "none" };
    case "carrying":
    case "cleaning": {
      const rest: Action[] = intent.step === "carrying" ? FINISH : ["drop-backup"];
      if (L && B) return { actions: [...dropS, ...rest], ends: "new" };
      if (L) return { actions: [...dropS, "write-record"], ends: "new" };
      if (B) return { actions: [...dropS, "restore", "restore-record"], ends: "old" };
      return { actions: [...dropS, "clear-record"], ends: "none" };
    }
  }
}

/** Every (intent × present) combination, for the table in ARCHITECTURE.md and its test. */
export function allRows(): { intent: IntentKey; present: Present; decision: Decision }[] {
  const intents: IntentKey[] = [
    null,
    { op: "install", step: "extracting" },
    { op: "install", step: "swapping" },
    { op: "install", step: "carrying" },
    { op: "install", step: "cleaning" },
    { op: "uninstall", step: "removing" },
    { op: "remove", step: "removing" },
  ];
  const rows = [];
  for (const intent of intents) {
    for (const local of [true, false]) {
      for (const staging of [true, false]) {
        for (const backup of [true, false]) {
          const present = { local, staging, backup };
          rows.push({ intent, present, decision: decide(intent, present) });
        }
      }
    }
  }
  return rows;
}
