/**
 * The library index in the state dir (`<stateDir>/library.json`): the last
 * published snapshot with its revision. Reading it back at start-up lets the
 * revision keep increasing across restarts, and lets a restart over
 * unchanged files keep the same revision (peers then have nothing to fetch).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "../../common/log.ts";
import { LibrarySnapshot } from "../../wire/protocol.ts";
import { readTextIfExists, writeFileAtomic } from "../../common/atomic.ts";

const IndexFile = LibrarySnapshot.extend({ v: z.literal(1) });

export function indexPath(stateDir: string): string {
  return join(stateDir, "library.json");
}

/** The stored snapshot; an empty one at revision 0 when absent or unreadable (with a warning). */
export async function loadIndex(stateDir: string, log: Logger): Promise<LibrarySnapshot> {
  const empty: LibrarySnapshot = { rev: 0, games: [] };
  let text: string | null;
  try {
    text = await readTextIfExists(indexPath(stateDir));
  } catch (error) {
    log.warn(`library index unreadable, starting at revision 0: ${(error as Error).message}`);
    return empty;
  }
  if (text === null) return empty;
  try {
    const parsed = IndexFile.safeParse(JSON.parse(text));
    if (parsed.success) return { rev: parsed.data.rev, games: parsed.data.games };
  } catch {
    // Not JSON: reported below like any other corruption.
  }
  log.warn("library index is corrupt, starting at revision 0");
  return empty;
}

/** Stores `snapshot` atomically. */
export async function saveIndex(stateDir: string, snapshot: LibrarySnapshot): Promise<void> {
  await writeFileAtomic(indexPath(stateDir), JSON.stringify({ v: 1, ...snapshot }));
}
