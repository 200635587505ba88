/**
 * What an install keeps in the state dir, each file written atomically
 * (README "Where data lives"):
 * - the intent of the operation running on a game,
 *   `<state>/install/<game>.intent.json`, rewritten before and after each
 *   step and deleted when the operation is over ({@linkcode Intent});
 * - the install record of each installed game, `<state>/installed/<game>.json`:
 *   its version and the files the install wrote ({@linkcode InstallRecord}).
 * Both name the games folder they are about, so that switching folders never
 * applies one folder's record to another's game; as a path, and as a path
 * from the state dir, so that a portable copy (a USB stick mounted elsewhere,
 * games and state beside each other) keeps its records.
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { isGameId, wirePathError } from "../library/mod.ts";

/** The installed tree, staging for an install, the old tree during an update or uninstall. */
export const LOCAL_DIR = "local";
export const STAGING_DIR = ".lanspread-install";
export const BACKUP_DIR = ".lanspread-backup";
/** User files of an old install that could not be carried into the new one. */
export const KEPT_DIR = ".lanspread-kept";

/** The folders of one game's install. */
export function installDirs(gamesDir: string, game: string) {
  const gameDir = join(gamesDir, game);
  return {
    gameDir,
    local: join(gameDir, LOCAL_DIR),
    staging: join(gameDir, STAGING_DIR),
    backup: join(gameDir, BACKUP_DIR),
    kept: join(gameDir, KEPT_DIR),
  };
}
export type InstallDirs = ReturnType<typeof installDirs>;

/** Operations that leave an intent. */
export type IntentOp = "install" | "uninstall" | "remove";

/**
 * Where an operation is. Install (and update): `extracting` into staging,
 * `swapping` (old `local/` to backup, staging to `local/`), `carrying` the
 * user's files from the backup, `cleaning` (record written, backup going).
 * Uninstall and remove: `removing`.
 */
export type IntentStep = "extracting" | "swapping" | "carrying" | "cleaning" | "removing";

export interface Intent {
  v: 1;
  op: IntentOp;
  step: IntentStep;
  game: string;
  gamesDir: string;
  /** `gamesDir` as seen from the state dir (set when written). */
  gamesDirFromState?: string;
  /** The version being installed (install), else the one installed before. */
  version: string | null;
  /** Files the new install wrote (known from `swapping` on). */
  files: string[];
  /** The previous install's record, if any: what it wrote is not the user's. */
  previous: { version: string; files: string[] } | null;
  /** User files being carried from the backup into the new `local/` (from `carrying` on). */
  carried: string[];
}

export interface InstallRecord {
  game: string;
  gamesDir: string;
  /** `gamesDir` as seen from the state dir (set when written). */
  gamesDirFromState?: string;
  version: string;
  /** Relative POSIX paths the install wrote under `local/` (the rest is the user's). */
  files: string[];
  /** Whether the game ran since this install (names stamped, setup run). */
  played: boolean;
}

export function intentPath(stateDir: string, game: string): string {
  return join(stateDir, "install", `${game}.intent.json`);
}

export function recordPath(stateDir: string, game: string): string {
  return join(stateDir, "installed", `${game}.json`);
}

const paths = (list: unknown): list is string[] =>
  Array.isArray(list) && list.every((p) => typeof p === "string" && !wirePathError(p));

/** `gamesDir` seen from `stateDir`, with `/` separators. */
function fromState(stateDir: string, gamesDir: string): string {
  return relative(resolve(stateDir), resolve(gamesDir)).replaceAll("\\", "/");
}

/**
 * Whether a record or intent written for `written` is about the games
 * folder `current`: the same path, or the same place beside the state dir.
 */
export function sameGamesDir(
  stateDir: string,
  written: { gamesDir: string; gamesDirFromState?: string },
  current: string,
): boolean {
  if (resolve(written.gamesDir) === resolve(current)) return true;
  return written.gamesDirFromState !== undefined &&
    written.gamesDirFromState === fromState(stateDir, current);
}

export async function writeIntent(stateDir: string, intent: Intent): Promise<void> {
  const gamesDir = resolve(intent.gamesDir);
  const full = { ...intent, gamesDir, gamesDirFromState: fromState(stateDir, gamesDir) };
  await writeFileAtomic(intentPath(stateDir, intent.game), JSON.stringify(full));
}

export async function clearIntent(stateDir: string, game: string): Promise<void> {
  await Deno.remove(intentPath(stateDir, game)).catch(() => {});
}

/** An intent as read back: null unless every field is what we write. */
export function parseIntent(raw: unknown): Intent | null {
  const i = raw as Partial<Intent> | undefined;
  if (!i || i.v !== 1 || !isGameId(i.game) || typeof i.gamesDir !== "string") return null;
  if (!["install", "uninstall", "remove"].includes(i.op as string)) return null;
  if (!["extracting", "swapping", "carrying", "cleaning", "removing"].includes(i.step as string)) {
    return null;
  }
  if (i.version !== null && typeof i.version !== "string") return null;
  if (i.gamesDirFromState !== undefined && typeof i.gamesDirFromState !== "string") return null;
  if (!paths(i.files) || !paths(i.carried)) return null;
  const p = i.previous;
  if (p !== null && (typeof p?.version !== "string" || !paths(p.files))) return null;
  return i as Intent;
}

/** Every intent file in the state dir: parsed, or null with its path when unreadable. */
export async function readIntents(
  stateDir: string,
): Promise<{ path: string; intent: Intent | null }[]> {
  const dir = join(stateDir, "install");
  const out: { path: string; intent: Intent | null }[] = [];
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  } catch {
    return out;
  }
  for (const name of names.filter((n) => n.endsWith(".intent.json"))) {
    const path = join(dir, name);
    const intent = parseIntent(await readJsonIfExists(path).catch(() => undefined));
    out.push({ path, intent: intent && name === `${intent.game}.intent.json` ? intent : null });
  }
  return out;
}

export async function writeRecord(stateDir: string, record: InstallRecord): Promise<void> {
  await writeFileAtomic(
    recordPath(stateDir, record.game),
    JSON.stringify({
      v: 1,
      ...record,
      gamesDir: resolve(record.gamesDir),
      gamesDirFromState: fromState(stateDir, record.gamesDir),
    }),
  );
}

export async function clearRecord(stateDir: string, game: string): Promise<void> {
  await Deno.remove(recordPath(stateDir, game)).catch(() => {});
}

/** Every install record in the state dir that can be trusted, by game id. */
export async function readRecords(stateDir: string): Promise<Map<string, InstallRecord>> {
  const dir = join(stateDir, "installed");
  const out = new Map<string, InstallRecord>();
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return out;
  }
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const raw = await readJsonIfExists(join(dir, name)).catch(() => undefined) as
      | Partial<InstallRecord & { v: number }>
      | undefined;
    if (raw?.v !== 1 || !isGameId(raw.game) || name !== `${raw.game}.json`) continue;
    if (typeof raw.version !== "string" || typeof raw.gamesDir !== "string") continue;
    if (!paths(raw.files)) continue;
    out.set(raw.game, {
      game: raw.game,
      gamesDir: raw.gamesDir,
      ...(typeof raw.gamesDirFromState === "string"
        ? { gamesDirFromState: raw.gamesDirFromState }
        : {}),
      version: raw.version,
      files: raw.files,
      played: raw.played === true,
    });
  }
  return out;
}
