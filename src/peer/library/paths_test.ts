import { assert, assertEquals } from "./_test_util.ts";
import { comparePaths, isGameId, PathClashes, wirePathError } from "./paths.ts";
import { LIMITS } from "../../wire/protocol.ts";

const ACCEPTED = [
  "a",
  "version.ini",
  "game.json",
  "data/level1.pak",
  "a/b/c/d/e.txt",
  "local.txt", // only the folder `local` is the installed tree
  "data/local/x", // `local` below the top level is ordinary
  "lanspread/x",
  "x.lanspread", // the prefix rule is about the start of a segment
  "..a", // a name that starts with dots but is not `..`
  "a..b",
  "console/con_fig.txt", // only the exact device names are reserved
  "com10.txt",
  "auxiliary/lpt.txt",
  ".hidden",
  "spaces are fine/and tabs are not",
  "ünïcødé/日本語/🎮.dat",
  "a".repeat(LIMITS.maxPathLength),
];

const REFUSED: [string, string][] = [
  ["", "empty path"],
  ["../x", "'..' segment"],
  ["..", "'..' segment"],
  ["a/../../x", "'..' segment"],
  ["a/..", "'..' segment"],
  ["./a", "'.' segment"],
  ["a/./b", "'.' segment"],
  [".", "'.' segment"],
  ["/etc/passwd", "absolute path"],
  ["/", "absolute path"],
  ["//server/share/x", "absolute path"],
  ["C:/x", "starts with a drive letter"],
  ["c:x", "starts with a drive letter"],
  ["Z:", "starts with a drive letter"],
  ["a/b:c", "contains a colon"],
  ["file.txt:stream", "contains a colon"],
  ["a\\b", "contains a backslash"],
  ["\\\\server\\share", "contains a backslash"],
  ["..\\x", "contains a backslash"],
  ["C:\\Windows", "contains a backslash"],
  ["local/save.dat", "inside local/"],
  ["local", "inside local/"],
  ["Local/save.dat", "inside local/"],
  ["LOCAL", "inside local/"],
  [".lanspread-staging/x", "segment starts with .lanspread"],
  ["a/.lanspread", "segment starts with .lanspread"],
  ["a/.LanSpread-part", "segment starts with .lanspread"],
  ["a//b", "empty segment"],
  ["a/", "empty segment"],
  ["a/b/", "empty segment"],
  ["a\u0000b", "contains a control character"],
  ["a\nb", "contains a control character"],
  ["a\rb", "contains a control character"],
  ["a\tb", "contains a control character"],
  ["a\u007fb", "contains a control character"],
  ["a\u0085b", "contains a control character"],
  ["a\ud800b", "contains a lone surrogate"],
  ["CON", "'CON' is a device name on Windows"],
  ["data/aux.txt", "'aux.txt' is a device name on Windows"],
  ["Nul.tar.gz", "'Nul.tar.gz' is a device name on Windows"],
  ["x/com1", "'com1' is a device name on Windows"],
  ["LPT9.dat/y", "'LPT9.dat' is a device name on Windows"],
  ["com\u00b9.txt", "'com\u00b9.txt' is a device name on Windows"],
  ["prn .txt", "'prn .txt' is a device name on Windows"],
  ["conin$", "'conin$' is a device name on Windows"],
  ["a..", "ends in a dot or a space"],
  ["readme.", "ends in a dot or a space"],
  ["folder /x", "ends in a dot or a space"],
  ["what?.txt", 'contains one of < > " | ? *'],
  ['say "hi"', 'contains one of < > " | ? *'],
  ["a<b>c", 'contains one of < > " | ? *'],
  ["a|b", 'contains one of < > " | ? *'],
  ["star*", 'contains one of < > " | ? *'],
  ["a".repeat(LIMITS.maxPathLength + 1), `longer than ${LIMITS.maxPathLength} characters`],
];

Deno.test("wirePathError accepts plain relative POSIX paths, unicode included", () => {
  for (const path of ACCEPTED) assertEquals(wirePathError(path), null, path);
});

Deno.test("wirePathError refuses each hostile path with a reason", () => {
  for (const [path, reason] of REFUSED) {
    assertEquals(wirePathError(path), reason, JSON.stringify(path));
  }
});

Deno.test("wirePathError refuses values that are not strings without throwing", () => {
  for (const value of [null, undefined, 42, {}, ["a"]]) {
    assert(wirePathError(value as unknown as string) !== null);
  }
});

Deno.test("isGameId follows the folder name rule of the design", () => {
  for (const id of ["a", "Quake3", "ut2004", "half-life_2", "x.y", "A".repeat(64)]) {
    assert(isGameId(id), id);
  }
  const unportable = ["CON", "aux", "Nul.x", "com1", "LPT9", "game."];
  for (const id of ["", ".hidden", "-x", "_x", "a b", "a/b", "a\\b", "A".repeat(65), "é", 7]) {
    assert(!isGameId(id), String(id));
  }
  for (const id of unportable) {
    assert(!isGameId(id), String(id));
  }
});

Deno.test("comparePaths orders by UTF-16 code units and is 0 only for equal strings", () => {
  const sorted = ["B", "a", "a/b", "a0", "b", "é"];
  assertEquals([...sorted].reverse().sort(comparePaths), sorted);
  assertEquals(comparePaths("x", "x"), 0);
});

Deno.test("PathClashes finds names that differ only in case or normalisation, first one wins", () => {
  const clashes = new PathClashes();
  const verdicts = [
    "Data/a.pak",
    "data/b.pak", // folder spelled two ways
    "Data/A.PAK",
    "Data/b.pak",
    "README",
    "Readme",
    "readme/x", // a folder named like a file
    "caf\u00e9.txt",
    "cafe\u0301.txt", // the same name in NFD
    "stra\u00dfe", // ß has no one-character upper case: not "STRASSE"
    "STRASSE",
    "Data/b.pak",
  ].map((path) => [path, clashes.add(path)]);
  assertEquals(verdicts, [
    ["Data/a.pak", null],
    ["data/b.pak", "folders data and Data differ only in case"],
    ["Data/A.PAK", "Data/A.PAK and Data/a.pak differ only in case"],
    ["Data/b.pak", null],
    ["README", null],
    ["Readme", "Readme and README differ only in case"],
    ["readme/x", "file README and folder readme differ only in case"],
    ["caf\u00e9.txt", null],
    ["cafe\u0301.txt", "cafe\u0301.txt and caf\u00e9.txt differ only in case"],
    ["stra\u00dfe", null],
    ["STRASSE", null],
    ["Data/b.pak", "duplicate path Data/b.pak"],
  ]);
});
