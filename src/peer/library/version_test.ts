import { assert, assertEquals } from "./_test_util.ts";
import { compareVersions, highestVersion } from "./version.ts";

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

Deno.test("compareVersions compares dot and dash segments numerically", () => {
  const ascending: [string, string][] = [
    ["1.9", "1.10"],
    ["2.0-2", "2.0-3"],
    ["1.0", "1.0.1"],
    ["1", "2"],
    ["9", "10"],
    ["0.9.9", "1.0"],
    ["1.2.3", "1.2.10"],
    ["2024.01.31", "2024.02.01"],
    ["1.99999999999999999999", "1.100000000000000000000"], // beyond 2^53
  ];
  for (const [low, high] of ascending) {
    assertEquals(sign(compareVersions(low, high)), -1, `${low} < ${high}`);
    assertEquals(sign(compareVersions(high, low)), 1, `${high} > ${low}`);
  }
});

Deno.test("compareVersions is 0 exactly for equal strings", () => {
  assertEquals(compareVersions("1.2", "1.2"), 0);
  assertEquals(compareVersions("beta", "beta"), 0);
  // Equal in value, different as text: still ordered, deterministically.
  assert(compareVersions("1.01", "1.1") !== 0);
  assertEquals(sign(compareVersions("1.01", "1.1")), -sign(compareVersions("1.1", "1.01")));
  assert(compareVersions("1-0", "1.0") !== 0);
});

Deno.test("compareVersions ranks numbers above text within a segment and text by code units", () => {
  assertEquals(sign(compareVersions("1.0-beta", "1.0-1")), -1);
  assertEquals(sign(compareVersions("alpha", "beta")), -1);
  assertEquals(sign(compareVersions("1.0-rc1", "1.0-rc2")), -1);
  assertEquals(sign(compareVersions("v2", "v10")), 1); // text segments: "v2" > "v10"
});

Deno.test("compareVersions is a total order (antisymmetric and transitive) on a mixed corpus", () => {
  const corpus = [
    "",
    "0",
    "00",
    "1",
    "01",
    "1.0",
    "1-0",
    "1.0.0",
    "1.01",
    "1.1",
    "1.9",
    "1.10",
    "1a",
    "9",
    "10",
    "2.0-2",
    "2.0-3",
    "2.0-beta",
    "beta",
    "Beta",
    "1..2",
    "-1",
    "1.",
    "é",
    "🎮",
  ];
  for (const a of corpus) {
    for (const b of corpus) {
      assertEquals(sign(compareVersions(a, b)), -sign(compareVersions(b, a)) || 0, `${a} vs ${b}`);
      assertEquals(compareVersions(a, b) === 0, a === b, `${a} vs ${b}`);
      for (const c of corpus) {
        if (compareVersions(a, b) < 0 && compareVersions(b, c) < 0) {
          assert(compareVersions(a, c) < 0, `${a} < ${b} < ${c}`);
        }
      }
    }
  }
  // Sorting is therefore stable whatever the input order.
  const once = [...corpus].sort(compareVersions);
  assertEquals([...corpus].reverse().sort(compareVersions), once);
});

Deno.test("highestVersion picks the highest and is undefined for none", () => {
  assertEquals(highestVersion(["1.9", "1.10", "1.2"]), "1.10");
  assertEquals(highestVersion([]), undefined);
});
