/**
 * Blocks a download can take over when its sources move to another version
 * of the game: a block staged for the old manifest sits at the same path
 * and offset as the new manifest's block there, so where the hashes agree
 * it need not be fetched again. They are handed over as `unconfirmed`: the
 * resumed download hashes each from disk against the new manifest first.
 * Pure.
 *
 * @module
 */
import type { Manifest } from "../../wire/download_schemas.ts";
import type { DownloadTarget } from "./resume_state.ts";

/** Global block ids of `next` whose block was staged for `previous` under the same hash. */
export function carryOver(previous: DownloadTarget, next: Manifest): Set<number> {
  if (previous.manifest.blockSize !== next.blockSize) return new Set();
  const staged = new Map<string, string>();
  let id = 0;
  for (const file of previous.manifest.files) {
    file.blocks.forEach((hash, index) => {
      if (previous.verified.has(id) || previous.unconfirmed.has(id)) {
        staged.set(`${file.path}\u0000${index}`, hash);
      }
      id++;
    });
  }
  const carried = new Set<number>();
  id = 0;
  for (const file of next.files) {
    file.blocks.forEach((hash, index) => {
      if (staged.get(`${file.path}\u0000${index}`) === hash) carried.add(id);
      id++;
    });
  }
  return carried;
}
