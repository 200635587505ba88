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
import { type LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { readTextIfExists, writeFileAtomic } from "../../common/atomic.ts";

const IndexFile = z.object({
  v: z.literal(1),
  rev: z.number(),
  // Each game on its own: one the wire rules now refuse is dropped, not the revision.
  games: z.array(z.unknown()),
});

/**
 * Revisions grow by one per change: past this, a stored revision was not
 * written by us (2^52 changes at a thousand a second take 140,000 years),
 * and one at 2^53 - 1 could not even grow without leaving the safe integers.
 */
export const MAX_SANE_REV = 2 ** 52;

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
  let parsed;
  try {
    parsed = IndexFile.safeParse(JSON.parse(text));
  } catch {
    // Not JSON: reported below like any other corruption.
  }
  if (!parsed?.success) {
    log.warn("library index is corrupt, starting at revision 0");
    return empty;
  }
  const { rev, games } = parsed.data;
  if (!Number.isSafeInteger(rev) || rev < 0 || rev > MAX_SANE_REV) {
    log.warn(`library index revision ${rev} is absurd (tampered with?), starting at revision 0`);
    return empty;
  }
  return { rev, games: games.flatMap((g) => WireGame.safeParse(g).data ?? []) };
}

/** Stores `snapshot` atomically. */
export async function saveIndex(stateDir: string, snapshot: LibrarySnapshot): Promise<void> {
  await writeFileAtomic(indexPath(stateDir), JSON.stringify({ v: 1, ...snapshot }));
}
