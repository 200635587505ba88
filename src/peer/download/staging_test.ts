import { join } from "node:path";
import { assertEquals } from "../../../tests/assert.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { Staging, STAGING_DIR } from "./staging.ts";

function manifestOf(files: { path: string; size: number }[]): Manifest {
  return { game: "G", version: "1", blockSize: 4, files: files.map((f) => ({ ...f, blocks: [] })) };
}

Deno.test("many files written at once through a few open handles all land, without deadlock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = Array.from({ length: 50 }, (_, i) => ({ path: `d${i % 3}/f${i}.bin`, size: 8 }));
    const staging = new Staging(dir, manifestOf(files), { maxOpenFiles: 4 });
    await staging.prepare(true);
    const writes = files.flatMap((_, i) => [
      staging.write(i, 4, Uint8Array.of(i, i, i, i)),
      staging.write(i, 0, Uint8Array.of(1, 2, 3, 4)),
    ]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("deadlock: writes unfinished after 5 s")), 5_000);
    });
    try {
      await Promise.race([Promise.all(writes), deadline]);
    } finally {
      clearTimeout(timer);
    }
    await staging.flush();
    await staging.close();
    for (const [i, f] of files.entries()) {
      const bytes = await Deno.readFile(join(dir, STAGING_DIR, "files", ...f.path.split("/")));
      assertEquals(bytes, Uint8Array.of(1, 2, 3, 4, i, i, i, i));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a resumed staging keeps its files, a fresh one starts empty, empty files appear at the end", async () => {
  const dir = await Deno.makeTempDir();
  const files = [{ path: "a.bin", size: 4 }, { path: "sub/e", size: 0 }];
  const staged = (...parts: string[]) => join(dir, STAGING_DIR, "files", ...parts);
  try {
    const staging = new Staging(dir, manifestOf(files));
    await staging.prepare(true);
    await staging.write(0, 0, Uint8Array.of(9, 9, 9, 9));
    await staging.close();
    await new Staging(dir, manifestOf(files)).prepare(false);
    assertEquals(await Deno.readFile(staged("a.bin")), Uint8Array.of(9, 9, 9, 9));
    const again = new Staging(dir, manifestOf(files));
    await again.prepare(true);
    assertEquals(await Array.fromAsync(Deno.readDir(staged())), []);
    await again.write(0, 0, Uint8Array.of(1, 1, 1, 1));
    await again.complete();
    assertEquals((await Deno.stat(staged("sub", "e"))).size, 0);
    await again.remove();
    assertEquals(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
