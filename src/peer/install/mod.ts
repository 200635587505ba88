/**
 * Installing games (ARCHITECTURE.md "Install: transactions and recovery"): a downloaded game's archives are extracted
 * (src/archive, in a worker) into staging, which becomes `local/`; an
 * update keeps the user's files; uninstall and remove; play. Every step is
 * crash-safe: an intent per game in the state dir and a startup recovery
 * table end any interrupted operation in the old or the new complete
 * `local/`, never a mix.
 *
 * Use (runtime.ts):
 * ```ts
 * await recoverInstalls({ stateDir, gamesDir, log });   // before the library scans
 * const installs = new Installs({ gamesDir, stateDir, events, log, operations, ... });
 * await installs.load();
 * await installs.install("Doom");                        // or update, when local/ exists
 * ```
 *
 * | file | role |
 * |---|---|
 * | `installs.ts` | the service: claims, events, records in memory, play |
 * | `_install_run.ts` | one install or update: its checks, events and progress; a failed swap settled |
 * | `types.ts` | the service's options and answers; where a transaction works |
 * | `transaction.ts` | forward runs of install/update and uninstall, with their intents |
 * | `_resumable_steps.ts` | the install's steps after the swap, which recovery also takes |
 * | `remove.ts` | deleting a game's downloaded files |
 * | `recovery_table.ts` | pure: (intent × local/staging/backup) → steps and ending |
 * | `recover.ts` | startup recovery: carries out the table's steps |
 * | `steps.ts` | the file-system steps (renames, carrying user files) |
 * | `records.ts` | intents and install records in the state dir; folder names |
 * | `play.ts`, `stamp.ts` | start commands, first-play stamping of name and language |
 * | `stall.ts` | the event loop's longest stall during an install (debug log, bench) |
 *
 * @module
 */
export { Installs } from "./installs.ts";
export type { InstallResult, InstallsOptions, Started } from "./types.ts";
export { recoverInstalls } from "./recover.ts";
export type { RecoverContext, Recovered } from "./recover.ts";
export { BACKUP_DIR, KEPT_DIR, LOCAL_DIR, STAGING_DIR } from "./records.ts";
export { INSTALL_POINTS, UNINSTALL_POINTS } from "./transaction.ts";
