/**
 * The extraction worker works from a one-file bundle run in an empty
 * folder (what `deno compile` ships): the bundle is its own worker and the
 * unrar WASM is inside it.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { ROOT } from "./peer_process.ts";
import { gameBytes, writeZip } from "./fixtures/archives.ts";
import { readTree } from "../src/archive/_test_util.ts";

const decoder = new TextDecoder();

Deno.test("a bundled program extracts a real RAR 5 and a zip from an empty folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = join(dir, "run");
    const game = join(dir, "game");
    const dest = join(dir, "dest");
    for (const d of [run, game, dest]) await Deno.mkdir(d);
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--unstable-raw-imports",
        "--output",
        join(run, "x.js"),
        join(ROOT, "tests/fixtures/extract_entry.ts"),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(bundled.code, 0, decoder.decode(bundled.stderr));
    await Deno.copyFile(
      join(ROOT, "tests/fixtures/rar/test_read_format_rar5_compressed.rar"),
      join(game, "a.rar"),
    );
    const data = gameBytes(200_000, 7);
    writeZip(join(game, "b.zip"), [{ name: "z/data.bin", data }]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--unstable-raw-imports", "-A", "x.js", game, dest],
      cwd: run,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, decoder.decode(out.stderr));
    assertEquals(JSON.parse(decoder.decode(out.stdout)).files, ["test.bin", "z/data.bin"]);
    const reference = join(dir, "reference");
    await Deno.mkdir(reference);
    const bsdtar = new Deno.Command("bsdtar", {
      args: ["-xf", join(game, "a.rar"), "-C", reference],
    });
    try {
      await bsdtar.output();
      await Deno.mkdir(join(reference, "z"));
      await Deno.writeFile(join(reference, "z/data.bin"), data);
      assertEquals(readTree(dest), readTree(reference));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      console.error("bsdtar missing: checked the zip's file only");
      assertEquals(Deno.statSync(join(dest, "test.bin")).size, 1200);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
