import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { gameBytes, writeRar5, writeTar, writeZip } from "../../tests/fixtures/archives.ts";
import type { FixtureEntry } from "../../tests/fixtures/archives.ts";
import { ArchiveError } from "./errors.ts";
import { extractArchives, inspectArchives } from "./extract.ts";
import { findArchives } from "./find.ts";
import { copyRar, hasTool, readTree, tempGame } from "./_test_util.ts";

/** The tree bsdtar makes of the same archives, for comparison. */
function bsdtarTree(archives: string[], root: string): Record<string, string> {
  const out = join(root, "bsdtar");
  Deno.mkdirSync(out);
  for (const archive of archives) {
    const r = new Deno.Command("bsdtar", { args: ["-xf", archive, "-C", out], stderr: "piped" })
      .outputSync();
    assert(r.success, new TextDecoder().decode(r.stderr));
  }
  return readTree(out);
}

Deno.test({
  name: "real RAR 5 archives (compressed, attributes, hard link) extract as bsdtar extracts them",
  ignore: !hasTool("bsdtar", "RAR fixtures against bsdtar"),
  fn: async () => {
    using t = tempGame();
    const singles = [
      "test_read_format_rar5_compressed.rar",
      "test_read_format_rar5_fileattr.rar",
      "test_read_format_rar5_hardlink.rar",
    ];
    copyRar(t.game, ...singles);
    const result = await extractArchives(await findArchives(t.game), t.dest);
    const expected = bsdtarTree(singles.map((n) => join(t.game, n)), t.root);
    assertEquals(readTree(t.dest), expected);
    assertEquals(result.bytes, 1200 + 44 + 5, "the hard link is a link: no bytes of its own");
  },
});

Deno.test("solid multi-volume RAR 5 and multi-volume RAR 4 sets extract whole (unrar checks every CRC)", async () => {
  using t = tempGame();
  const parts = ["01", "02", "03", "04"].map((n) =>
    `test_read_format_rar5_multiarchive_solid.part${n}.rar`
  );
  copyRar(
    t.game,
    ...parts,
    ...[1, 2, 3].map((n) => `test_rar_multivolume_single_file.part${n}.rar`),
  );
  const sets = await findArchives(t.game);
  assertEquals(sets.map((s) => s.volumes.length), [3, 4]);
  const result = await extractArchives(sets, t.dest);
  assertEquals(result.files.length, 10);
  assertEquals(result.bytes, 20111 + 117398);
  assertEquals(Deno.statSync(join(t.dest, "elf-Linux-ARMv7-ls")).size, 90808);
});

Deno.test("a RAR 4 set named the old way (.rar, .r00, .r01) extracts as one archive", async () => {
  using t = tempGame();
  const p = (n: number) => `test_rar_multivolume_single_file.part${n}.rar`;
  copyRar(t.game, [p(1), "old.rar"], [p(2), "old.r00"], [p(3), "old.r01"]);
  const sets = await findArchives(t.game);
  assertEquals(sets.map((s) => s.volumes.length), [3]);
  const result = await extractArchives(sets, t.dest);
  assertEquals(result, { files: ["LibarchiveAddingTest.html"], bytes: 20111 });
});

Deno.test("a RAR 4 symlink is made as a link; an encrypted RAR 5 is password-required before anything is written", async () => {
  using t = tempGame();
  copyRar(t.game, "test_read_format_rar.rar");
  await extractArchives(await findArchives(t.game), t.dest);
  assertEquals(readTree(t.dest).testlink, "->test.txt");
  using u = tempGame();
  copyRar(u.game, "test_read_format_rar5_encrypted.rar");
  const error = await assertRejects(
    () => extractArchives(findArchivesSync(u.game), u.dest),
    ArchiveError,
  );
  assertEquals([error.code, error.entry], ["password-required", "b.txt"]);
  assertEquals(readTree(u.dest), {});
});

function findArchivesSync(game: string) {
  // The fixture's single file: a set as findArchives returns it.
  const name = [...Deno.readDirSync(game)][0]!.name;
  return [{
    name,
    format: "rar" as const,
    volumes: [join(game, name)],
    bytes: Deno.statSync(join(game, name)).size,
  }];
}

const sample = (): FixtureEntry[] => [
  { name: "Game", kind: "dir" },
  { name: "Game\\Data\\level1.pak", data: gameBytes(3 << 20, 1) },
  { name: "Game/readme.txt", data: new TextEncoder().encode("hello") },
  { name: "Game/start.sh", data: new TextEncoder().encode("#!/bin/sh\n"), mode: 0o755 },
  { name: "Game/current", kind: "symlink", target: "Data/level1.pak" },
];

Deno.test("zip (stored, deflated, zip64), tar, tar.gz and stored RAR 5 extract into one tree in sorted order", async () => {
  using t = tempGame();
  writeZip(join(t.game, "1.zip"), sample());
  writeZip(join(t.game, "2.zip"), [{ name: "z64/a.bin", data: gameBytes(70000, 2) }], {
    zip64: true,
    method: "store",
  });
  await writeTar(join(t.game, "3.tar"), [{
    name: "t/" + "long-".repeat(30) + ".txt",
    data: gameBytes(1000, 3),
  }]);
  await writeTar(join(t.game, "4.tgz"), [{
    name: "Game/readme.txt",
    data: new TextEncoder().encode("later wins"),
  }], { gzip: true });
  writeRar5(join(t.game, "5.rar"), [{ name: "r5", kind: "dir" }, {
    name: "r5/b.bin",
    data: gameBytes(100000, 4),
  }]);
  const progress: number[] = [];
  const sets = await findArchives(t.game);
  const result = await extractArchives(sets, t.dest, {
    onProgress: (p) => progress.push(p.doneBytes),
  });
  const tree = readTree(t.dest);
  assertEquals(Deno.readTextFileSync(join(t.dest, "Game/readme.txt")), "later wins");
  assertEquals(tree["Game/current"], "->Data/level1.pak");
  assertEquals(Deno.statSync(join(t.dest, "Game/start.sh")).mode! & 0o111, 0o111);
  assertEquals(Deno.statSync(join(t.dest, "Game/Data/level1.pak")).size, 3 << 20);
  assertEquals(result.files, [
    "Game/Data/level1.pak",
    "Game/current",
    "Game/readme.txt",
    "Game/start.sh",
    "r5/b.bin",
    "t/" + "long-".repeat(30) + ".txt",
    "z64/a.bin",
  ]);
  assertEquals(result.bytes, (3 << 20) + 5 + 10 + 70000 + 1000 + 10 + 100000);
  assertEquals(progress.at(-1), result.bytes, "the last progress report is the total");
});

Deno.test("inspection lists every entry with its kind and sizes without writing", async () => {
  using t = tempGame();
  writeZip(join(t.game, "a.zip"), sample());
  const inspection = await inspectArchives(await findArchives(t.game));
  assertEquals(inspection.entries.map((e) => [e.path, e.kind, e.size, e.target]), [
    ["Game", "dir", 0, undefined],
    ["Game/Data/level1.pak", "file", 3 << 20, undefined],
    ["Game/readme.txt", "file", 5, undefined],
    ["Game/start.sh", "file", 10, undefined],
    ["Game/current", "symlink", 0, "Data/level1.pak"],
  ]);
  assert(inspection.entries[1]!.compressedSize! < 3 << 20);
  assertEquals(readTree(t.dest), {});
});

Deno.test("an aborted extraction rejects with the signal's reason promptly", async () => {
  using t = tempGame();
  writeZip(
    join(t.game, "big.zip"),
    function* () {
      for (let i = 0; i < 40; i++) yield { name: `f${i}`, data: gameBytes(4 << 20, i) };
    }(),
  );
  const ctrl = new AbortController();
  let abortedAt = 0;
  const reason = new Error("stop");
  const run = extractArchives(await findArchives(t.game), t.dest, {
    signal: ctrl.signal,
    progressIntervalMs: 10,
    onProgress: (p) => {
      if (p.doneBytes > 0 && !abortedAt) (abortedAt = performance.now()), ctrl.abort(reason);
    },
  });
  const error = await assertRejects(() => run);
  assertEquals(error, reason);
  const ms = performance.now() - abortedAt;
  assert(ms < 1000, `stopped ${ms.toFixed(0)} ms after the abort`);
});

Deno.test("the main event loop keeps running while a worker extracts (longest stall under 50 ms)", async () => {
  using t = tempGame();
  writeZip(
    join(t.game, "a.zip"),
    function* () {
      for (let i = 0; i < 24; i++) yield { name: `f${i}`, data: gameBytes(4 << 20, i) };
    }(),
  );
  const sets = await findArchives(t.game);
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 5);
    last = now;
  }, 5);
  try {
    await extractArchives(sets, t.dest);
  } finally {
    clearInterval(timer);
  }
  assert(longest < 50, `longest stall ${longest.toFixed(1)} ms`);
});
