/**
 * The download record of a game: which files the last download of ours
 * wrote into its folder (`<state>/downloaded/<game>.json`, written
 * atomically at each commit). An update removes old files only when they
 * are listed here; any other old file is kept (commit.ts).
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { wirePathError } from "../library/mod.ts";

export interface DownloadRecord {
  game: string;
  version: string;
  /** Relative POSIX paths of the files written. */
  files: string[];
}

export function recordPath(stateDir: string, game: string): string {
  return join(stateDir, "downloaded", `${game}.json`);
}

/** The record of `game`, or null when there is none or it cannot be trusted. */
export async function readDownloadRecord(
  stateDir: string,
  game: string,
): Promise<DownloadRecord | null> {
  const raw = await readJsonIfExists(recordPath(stateDir, game)).catch(() => undefined) as
    | { v?: unknown; game?: unknown; version?: unknown; files?: unknown }
    | undefined;
  if (raw?.v !== 1 || raw.game !== game || typeof raw.version !== "string") return null;
  if (!Array.isArray(raw.files)) return null;
  const files = raw.files.filter((p): p is string => typeof p === "string" && !wirePathError(p));
  return { game, version: raw.version, files };
}

export async function writeDownloadRecord(stateDir: string, record: DownloadRecord) {
  await writeFileAtomic(recordPath(stateDir, record.game), JSON.stringify({ v: 1, ...record }));
}

/** Forgets the record (the game's files were removed). */
export async function clearDownloadRecord(stateDir: string, game: string): Promise<void> {
  await Deno.remove(recordPath(stateDir, game)).catch(() => {});
}
