/**
 * Hostile and broken archives: refused whole before a byte is written
 * (names, links, encryption, declared sizes), or stopped early while
 * writing (lying headers, bombs, truncation), never writing outside the
 * destination.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { type FixtureEntry, writeRar5, writeTar, writeZip } from "../../tests/fixtures/archives.ts";
import { ArchiveError } from "./errors.ts";
import { extractArchives } from "./extract.ts";
import { findArchives } from "./find.ts";
import { copyRar, readTree, tempGame } from "./_test_util.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Extracts the game's archives; returns the error with the trees of `dest` and `root`. */
async function refused(t: ReturnType<typeof tempGame>, options = {}) {
  const before = readTree(t.root);
  const error = await assertRejects(
    async () => extractArchives(await findArchives(t.game), t.dest, options),
    ArchiveError,
  );
  const after = readTree(t.root);
  for (const path of Object.keys(after)) {
    assert(
      path in before || path.startsWith("dest/") || path === "dest",
      `wrote ${path} outside the destination`,
    );
  }
  return { error, dest: readTree(t.dest) };
}

const hostileNames: [string, FixtureEntry[]][] = [
  ["a ../ entry", [{ name: "ok.txt", data: bytes("x") }, {
    name: "../evil.txt",
    data: bytes("x"),
  }]],
  ["a drive letter", [{ name: "C:\\x", data: bytes("x") }]],
  ["a Windows device name", [{ name: "dir/CON.txt", data: bytes("x") }]],
  ["a symlink pointing out", [{ name: "out", kind: "symlink", target: "../../etc" }]],
  ["a symlink followed by a file under it", [
    { name: "inside", kind: "dir" },
    { name: "link", kind: "symlink", target: "inside" },
    { name: "link/file.txt", data: bytes("x") },
  ]],
  ["a reserved .lanspread name", [{ name: ".lanspread-x", data: bytes("x") }]],
  ["an absolute path", [{ name: "/tmp/evil", data: bytes("x") }]],
];

for (const [what, entries] of hostileNames) {
  Deno.test(`a zip with ${what} is unsafe-archive naming the entry, with nothing written`, async () => {
    using t = tempGame();
    writeZip(join(t.game, "a.zip"), [{ name: "first.txt", data: bytes("first") }, ...entries]);
    const { error, dest } = await refused(t);
    assertEquals(error.code, "unsafe-archive");
    assert(error.entry !== undefined && error.message.includes(JSON.stringify(error.entry)));
    assertEquals(dest, {});
  });
}

Deno.test("a tar hard link to a file outside, and a RAR 5 symlink out, are unsafe-archive", async () => {
  using t = tempGame();
  await writeTar(join(t.game, "a.tar"), [{
    name: "h",
    kind: "hardlink",
    target: "../../etc/passwd",
  }]);
  assertEquals((await refused(t)).error.code, "unsafe-archive");
  using u = tempGame();
  writeRar5(join(u.game, "a.rar"), [{ name: "ok", data: bytes("x") }, {
    name: "l",
    kind: "symlink",
    target: "/etc",
  }]);
  const { error, dest } = await refused(u);
  assertEquals([error.code, error.entry, dest], ["unsafe-archive", "l", {}]);
});

Deno.test("an unsafe entry in a later archive refuses the earlier archives too", async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), [{ name: "fine.txt", data: bytes("x") }]);
  await writeTar(join(t.game, "b.tar.gz"), [{ name: "../x", data: bytes("x") }], { gzip: true });
  const { error, dest } = await refused(t);
  assertEquals([error.code, error.archive, dest], ["unsafe-archive", "b.tar.gz", {}]);
});

Deno.test("an encrypted zip entry is password-required with nothing written", async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), [{ name: "a", data: bytes("x") }, {
    name: "secret",
    data: bytes("x"),
    encrypted: true,
  }]);
  const { error, dest } = await refused(t);
  assertEquals([error.code, error.entry, dest], ["password-required", "secret", {}]);
});

Deno.test("1 GiB of deflated zeros is too-large before anything is written", async () => {
  using t = tempGame();
  // 1 GiB of zeros deflates to ~1 MiB: one entry repeated would need the whole GiB in memory, so
  // the bomb is 64 entries of 16 MiB.
  const zeros = new Uint8Array(16 << 20);
  writeZip(
    join(t.game, "bomb.zip"),
    function* () {
      for (let i = 0; i < 64; i++) yield { name: `z${i}`, data: zeros };
    }(),
    { level: 9 },
  );
  const { error, dest } = await refused(t);
  assertEquals(error.code, "too-large");
  assertEquals(dest, {});
});

Deno.test("a bomb whose header lies about its size stops early with too-large", async () => {
  using t = tempGame();
  writeZip(join(t.game, "liar.zip"), [{
    name: "z",
    data: new Uint8Array(256 << 20),
    declaredSize: 1000,
  }], { level: 9 });
  const { error } = await refused(t);
  assertEquals([error.code, error.entry], ["too-large", "z"]);
  const written = Deno.statSync(join(t.dest, "z")).size;
  assert(written <= 1000, `wrote ${written} bytes of a 1000-byte entry`);
});

Deno.test("a tar.gz bomb is stopped while it is listed, before anything is written", async () => {
  using t = tempGame();
  const zeros = new Uint8Array(16 << 20);
  await writeTar(
    join(t.game, "bomb.tgz"),
    function* () {
      for (let i = 0; i < 16; i++) yield { name: `z${i}`, data: zeros };
    }(),
    { gzip: true },
  );
  const { error, dest } = await refused(t, { limits: { ratioGraceBytes: 4 << 20 } });
  assertEquals([error.code, dest], ["too-large", {}]);
});

Deno.test("declared sizes beyond the free space are disk-full before anything is written", async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), [{ name: "a", data: new Uint8Array(5000) }]);
  const { error, dest } = await refused(t, { freeBytes: 4000 });
  assertEquals([error.code, dest], ["disk-full", {}]);
});

Deno.test("caps on entries and total bytes refuse with too-large", async () => {
  using t = tempGame();
  writeZip(
    join(t.game, "a.zip"),
    [1, 2, 3].map((i) => ({ name: `f${i}`, data: new Uint8Array(100) })),
  );
  assertEquals((await refused(t, { limits: { maxEntries: 2 } })).error.code, "too-large");
  assertEquals((await refused(t, { limits: { maxTotalBytes: 250 } })).error.code, "too-large");
});

Deno.test("truncated zip, tar.gz and RAR, and a RAR set without its last volume, are corrupt-archive", async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), [{
    name: "a",
    data: new Uint8Array(100000).map((_, i) => i * 7),
  }]);
  const zip = Deno.readFileSync(join(t.game, "a.zip"));
  Deno.writeFileSync(join(t.game, "a.zip"), zip.subarray(0, zip.length - 30));
  assertEquals((await refused(t)).error.code, "corrupt-archive");
  Deno.removeSync(join(t.game, "a.zip"));
  await writeTar(join(t.game, "b.tgz"), [{
    name: "a",
    data: new Uint8Array(300000).map((_, i) => i),
  }], { gzip: true });
  const tgz = Deno.readFileSync(join(t.game, "b.tgz"));
  Deno.writeFileSync(join(t.game, "b.tgz"), tgz.subarray(0, tgz.length / 2));
  assertEquals((await refused(t)).error.code, "corrupt-archive");
  Deno.removeSync(join(t.game, "b.tgz"));
  copyRar(t.game, "test_read_format_rar5_compressed.rar");
  const rar = Deno.readFileSync(join(t.game, "test_read_format_rar5_compressed.rar"));
  Deno.writeFileSync(join(t.game, "test_read_format_rar5_compressed.rar"), rar.subarray(0, 200));
  assertEquals((await refused(t)).error.code, "corrupt-archive");
  Deno.removeSync(join(t.game, "test_read_format_rar5_compressed.rar"));
  const part = (n: number) => `test_read_format_rar5_multiarchive_solid.part0${n}.rar`;
  copyRar(t.game, part(1), part(2), part(3));
  const { error } = await refused(t);
  assertEquals([error.code, error.archive], ["corrupt-archive", part(1)]);
});

Deno.test("a full disk while writing is disk-full", {
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
}, async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), [{
    name: "a",
    data: new Uint8Array(8 << 20).map((_, i) => i * 13),
  }], { method: "store" });
  const mount = new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", t.dest],
  }).outputSync();
  assert(mount.success, "mount tmpfs");
  try {
    const { error } = await refused(t, { freeBytes: 1 << 40 });
    assertEquals(error.code, "disk-full");
  } finally {
    new Deno.Command("umount", { args: [t.dest] }).outputSync();
  }
});
