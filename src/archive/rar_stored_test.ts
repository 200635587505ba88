/**
 * The stored RAR 5 fast path (rar.ts `copyStored`): stored files are copied
 * straight from their volume with a native CRC32 check, and a damaged or cut
 * archive is still `corrupt-archive` naming the entry.
 */
import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { gameBytes, writeRar5 } from "../../tests/fixtures/archives.ts";
import { ArchiveError } from "./errors.ts";
import { extractArchives } from "./extract.ts";
import { findArchives } from "./find.ts";
import { readRarHeaders } from "./rar_headers.ts";
import { tempGame } from "./_test_util.ts";

const A = gameBytes(3_000_000, 1);
const B = gameBytes(10_000, 2);

function stored(game: string): string {
  const path = join(game, "game.rar");
  writeRar5(path, [
    { name: "data", kind: "dir" },
    { name: "data/a.bin", data: A },
    { name: "data/b.bin", data: B },
    { name: "empty.txt", data: new Uint8Array(0) },
  ]);
  return path;
}

Deno.test("stored RAR 5 files are found for the fast path with their place and CRC", () => {
  using t = tempGame();
  const info = readRarHeaders([stored(t.game)]);
  assertEquals(info.files.map((f) => [f.name, f.stored?.size ?? null]), [
    ["data", null],
    ["data/a.bin", A.length],
    ["data/b.bin", B.length],
    ["empty.txt", 0],
  ]);
  assertEquals(info.solid, false);
});

Deno.test("a stored RAR 5 extracts byte for byte through the fast path", async () => {
  using t = tempGame();
  stored(t.game);
  const result = await extractArchives(await findArchives(t.game), t.dest);
  assertEquals(result.files, ["data/a.bin", "data/b.bin", "empty.txt"]);
  assertEquals(Deno.readFileSync(join(t.dest, "data/a.bin")), A);
  assertEquals(Deno.readFileSync(join(t.dest, "data/b.bin")), B);
  assertEquals(Deno.statSync(join(t.dest, "empty.txt")).size, 0);
});

Deno.test("a flipped byte in stored data is corrupt-archive naming the entry", async () => {
  using t = tempGame();
  const path = stored(t.game);
  const bytes = Deno.readFileSync(path);
  const at = bytes.indexOf(A[1000]!, 2000); // somewhere inside a.bin's data
  bytes[at + 1] = bytes[at + 1]! ^ 0xff;
  Deno.writeFileSync(path, bytes);
  const error = await assertRejects(
    async () => await extractArchives(await findArchives(t.game), t.dest),
    ArchiveError,
  );
  assertEquals([error.code, error.entry], ["corrupt-archive", "data/a.bin"]);
  assertEquals(error.message.includes("CRC mismatch"), true, "found by the fast path");
});

Deno.test("a stored RAR 5 cut short is corrupt-archive", async () => {
  using t = tempGame();
  const path = stored(t.game);
  const bytes = Deno.readFileSync(path);
  Deno.writeFileSync(path, bytes.subarray(0, 1_000_000));
  const error = await assertRejects(
    async () => await extractArchives(await findArchives(t.game), t.dest),
    ArchiveError,
  );
  assertEquals(error.code, "corrupt-archive");
});
