import { assertEquals } from "../../tests/assert.ts";
import { checkEntryPath, linkTargetError } from "./entry_path.ts";
import { ARCHIVE_LIMITS } from "./limits.ts";

Deno.test("ordinary names are normalised: backslashes become slashes, ./ and trailing / go", () => {
  for (
    const [raw, path] of [
      ["a/b.txt", "a/b.txt"],
      ["a\\b\\c.dat", "a/b/c.dat"],
      ["./x/./y/", "x/y"],
      ["Data/Local/save.ini", "Data/Local/save.ini"],
      ["con-fig/console.cfg", "con-fig/console.cfg"],
      ["ünïcode/名前.txt", "ünïcode/名前.txt"],
    ]
  ) assertEquals(checkEntryPath(raw!, ARCHIVE_LIMITS).path, path, raw);
});

Deno.test("names that could land outside the destination or misbehave on Windows are refused", () => {
  const bad = [
    "../x",
    "a/../../x",
    "a/..",
    "/etc/passwd",
    "\\\\server\\share\\x",
    "//server/share",
    "C:\\x",
    "c:x",
    "a/file.txt:stream",
    "a\u0001b",
    "a\u009fb",
    "CON.txt",
    "dir/nul",
    "Com1.tar.gz",
    "lpt9",
    "aux .txt",
    "a/b.",
    "a/b ",
    ".lanspread-x",
    "d/.LANSPREAD",
    "",
    "./",
  ];
  for (const raw of bad) {
    assertEquals(typeof checkEntryPath(raw, ARCHIVE_LIMITS).error, "string", raw);
  }
});

Deno.test("paths and names past the length caps are too long, not unsafe", () => {
  const long = checkEntryPath("a/".repeat(600) + "b", ARCHIVE_LIMITS);
  assertEquals(long.tooLong, true);
  assertEquals(checkEntryPath("x".repeat(256), ARCHIVE_LIMITS).tooLong, true);
  assertEquals(checkEntryPath("x".repeat(255), ARCHIVE_LIMITS).path?.length, 255);
});

Deno.test("link targets may climb only through leading '..' and only as high as the destination", () => {
  assertEquals(linkTargetError("a/b/link", "../c/file"), null);
  assertEquals(linkTargetError("a/b/link", "../../top"), null);
  assertEquals(linkTargetError("link", "sub/file"), null);
  assertEquals(typeof linkTargetError("a/link", "../../out"), "string");
  assertEquals(typeof linkTargetError("link", "/etc/passwd"), "string");
  assertEquals(typeof linkTargetError("link", "C:\\Windows"), "string");
  assertEquals(typeof linkTargetError("a/link", "s/../../.."), "string");
  assertEquals(
    typeof linkTargetError("a/link", "s/../x"),
    "string",
    "'..' after a name is never allowed",
  );
  assertEquals(typeof linkTargetError("link", ".lanspread-install/x"), "string");
  assertEquals(typeof linkTargetError("link", ""), "string");
});
