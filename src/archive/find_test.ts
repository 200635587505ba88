import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { writeTar, writeZip } from "../../tests/fixtures/archives.ts";
import { ArchiveError } from "./errors.ts";
import { findArchives } from "./find.ts";
import { groupVolumes } from "./volumes.ts";
import { copyRar, tempGame } from "./_test_util.ts";

const PART = "test_rar_multivolume_single_file.part";

Deno.test("archives are found by content at the root only, sorted, RAR volumes as one set", async () => {
  using t = tempGame();
  copyRar(t.game, [`${PART}1.rar`, "b.part1.rar"], [`${PART}2.rar`, "b.part2.rar"], [
    `${PART}3.rar`,
    "b.part3.rar",
  ]);
  copyRar(t.game, ["test_read_format_rar5_compressed.rar", "c.eti"]);
  writeZip(join(t.game, "a.bin"), [{ name: "x", data: new Uint8Array(3) }]);
  await writeTar(join(t.game, "d.dat"), [{ name: "x", data: new Uint8Array(3) }], { gzip: true });
  await writeTar(join(t.game, "e"), [{ name: "x", data: new Uint8Array(3) }]);
  writeZip(join(t.game, "game.json"), []);
  writeZip(join(t.game, ".lanspread-install.zip"), []);
  Deno.writeTextFileSync(join(t.game, "version.ini"), "1.0");
  Deno.writeTextFileSync(join(t.game, "readme.txt"), "not an archive");
  Deno.mkdirSync(join(t.game, "local"));
  writeZip(join(t.game, "local", "inner.zip"), []);
  const sets = await findArchives(t.game);
  assertEquals(
    sets.map((s) => [s.name, s.format, s.volumes.map((v) => v.slice(t.game.length + 1))]),
    [
      ["a.bin", "zip", ["a.bin"]],
      ["b.part1.rar", "rar", ["b.part1.rar", "b.part2.rar", "b.part3.rar"]],
      ["c.eti", "rar", ["c.eti"]],
      ["d.dat", "tar.gz", ["d.dat"]],
      ["e", "tar", ["e"]],
    ],
  );
});

Deno.test("a RAR set missing a volume is corrupt-archive named by its first volume", async () => {
  using t = tempGame();
  copyRar(t.game, [`${PART}1.rar`, "g.part1.rar"], [`${PART}3.rar`, "g.part3.rar"]);
  const error = await assertRejects(
    () => findArchives(t.game),
    ArchiveError,
    "g.part2.rar is missing",
  );
  assertEquals([error.code, error.archive], ["corrupt-archive", "g.part1.rar"]);
});

Deno.test("volume names group both ways and in numeric order", () => {
  assertEquals(
    groupVolumes(["x.r01", "x.rar", "x.r00", "y.part10.rar", "solo.rar"]).sort((a, b) =>
      a.name < b.name ? -1 : 1
    ),
    [
      { name: "solo.rar", volumes: ["solo.rar"] },
      { name: "x.rar", volumes: ["x.rar", "x.r00", "x.r01"] },
      {
        name: "y.part01.rar",
        volumes: ["y.part10.rar"],
        problem: "volume y.part01.rar is missing",
      },
    ],
  );
  assertEquals(
    groupVolumes(["a.part2.rar", "a.part1.rar", "a.part10.rar"])[0]?.problem,
    "volume a.part3.rar is missing",
  );
  assertEquals(groupVolumes(["z.r00"])[0]?.problem, "volume z.rar is missing");
});
