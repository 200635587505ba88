/**
 * When the first data lands in a file: the bench's measure of "first
 * verified byte" without changing the product. lanspread verifies a block
 * before it writes it to `<game>/.lanspread-download/files/...`, so the first
 * allocated block of a staging file is the first verified byte on its way to
 * disk. Syncthing writes `.syncthing.<name>.tmp`, which it may truncate to the
 * full size first, so the test is on allocated blocks (`st_blocks`), not size.
 *
 * @module
 */

/**
 * Polls `paths` every `everyMs` until one of them has allocated blocks;
 * resolves with that moment (`performance.now()`), or null after `timeoutMs`
 * or with no paths. The poll's own cost is a stat per path per interval.
 */
export async function firstWrite(
  paths: string[],
  timeoutMs: number,
  everyMs = 2,
): Promise<number | null> {
  if (paths.length === 0) return null;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    for (const path of paths) {
      const blocks = await Deno.stat(path).then((s) => s.blocks ?? 0, () => 0);
      if (blocks > 0) return performance.now();
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return null;
}
