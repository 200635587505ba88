import { assertEquals } from "../../tests/assert.ts";
import { Covers, imageType, MAX_COVER_BYTES } from "./cover.ts";

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

Deno.test("covers are recognised by their first bytes; SVG and text are not images we serve", () => {
  assertEquals(imageType(new Uint8Array([...PNG, 0])), "image/png");
  assertEquals(imageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), "image/jpeg");
  assertEquals(imageType(new TextEncoder().encode("GIF89a")), "image/gif");
  assertEquals(imageType(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 ")), "image/webp");
  assertEquals(imageType(new TextEncoder().encode("<svg onload=alert(1)>")), null);
});

Deno.test("a local cover is read from the game folder; a bad path, a large file or no peer gives none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/Doom`);
    await Deno.writeFile(`${dir}/Doom/cover.png`, new Uint8Array([...PNG, 1, 2]));
    await Deno.writeFile(`${dir}/Doom/big.png`, new Uint8Array(MAX_COVER_BYTES + 1).fill(0x89));
    const covers = (path: string) =>
      new Covers({ local: () => ({ gamesDir: dir, path }), remote: () => [] });
    assertEquals((await covers("cover.png").read("Doom"))?.type, "image/png");
    assertEquals(await covers("../Doom/cover.png").read("Doom"), null);
    assertEquals(await covers("big.png").read("Doom"), null);
    assertEquals(await covers("missing.png").read("Doom"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
