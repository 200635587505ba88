import { assert, assertEquals } from "./_test_util.ts";
import { comparePaths, isGameId, wirePathError } from "./paths.ts";
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
  "a..",
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
  for (const id of ["", ".hidden", "-x", "_x", "a b", "a/b", "a\\b", "A".repeat(65), "é", 7]) {
    assert(!isGameId(id), String(id));
  }
});

Deno.test("comparePaths orders by UTF-16 code units and is 0 only for equal strings", () => {
  const sorted = ["B", "a", "a/b", "a0", "b", "é"];
  assertEquals([...sorted].reverse().sort(comparePaths), sorted);
  assertEquals(comparePaths("x", "x"), 0);
});
