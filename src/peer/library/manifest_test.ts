import { assert, assertEquals } from "./_test_util.ts";
import { sha256Hex } from "./hasher.ts";
import {
  buildManifest,
  canonicalManifestBytes,
  MAX_TOTAL_SIZE,
  parseManifest,
} from "./manifest.ts";
import type { ManifestFile } from "../../wire/download_schemas.ts";
import { LIMITS } from "../../wire/protocol.ts";

const H = (n: number) => sha256Hex(new Uint8Array([n]));
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function sample(): ManifestFile[] {
  return [
    { path: "version.ini", size: 3, blocks: [H(1)] },
    { path: "data/big.pak", size: 10, blocks: [H(2), H(3), H(4)] },
    { path: "empty.txt", size: 0, blocks: [] },
  ];
}

/** Raw bytes and hash of an arbitrary body, as a hostile peer would send. */
function hostile(body: unknown): { bytes: Uint8Array; hash: string } {
  const bytes = encode(body);
  return { bytes, hash: sha256Hex(bytes) };
}

function body(files: unknown[], extra: Record<string, unknown> = {}) {
  return { game: "g", version: "1", blockSize: 4, files, ...extra };
}

Deno.test("buildManifest sorts files by path and hashes the canonical bytes", () => {
  const built = buildManifest({ game: "g", version: "1.0", blockSize: 4, files: sample() });
  assertEquals(built.manifest.files.map((f) => f.path), [
    "data/big.pak",
    "empty.txt",
    "version.ini",
  ]);
  assertEquals(built.hash, sha256Hex(built.bytes));
  const text = new TextDecoder().decode(built.bytes);
  assert(
    text.startsWith('{"game":"g","version":"1.0","blockSize":4,"files":[{"path":"data/big.pak"'),
  );
});

Deno.test("canonical bytes are exactly JSON.stringify of the sorted body, also past a batch", () => {
  const files = Array.from({ length: 3_000 }, (_, i) => ({
    path: `d/f${String(i).padStart(5, "0")}`,
    size: i,
    blocks: i % 7 ? ["c".repeat(64)] : [],
  }));
  const manifest = { game: "g", version: "1", blockSize: 4, files };
  const expected = new TextEncoder().encode(JSON.stringify(manifest));
  assertEquals(canonicalManifestBytes(manifest), expected);
  assertEquals(canonicalManifestBytes({ ...manifest, files: [...files].reverse() }), expected);
});

Deno.test("canonical bytes do not depend on input order or key order", () => {
  const a = buildManifest({ game: "g", version: "1", blockSize: 4, files: sample() });
  const shuffled = sample().reverse().map((f) => ({
    blocks: f.blocks,
    size: f.size,
    path: f.path,
  }));
  const b = buildManifest({ game: "g", version: "1", blockSize: 4, files: shuffled });
  assertEquals(b.bytes, a.bytes);
  assertEquals(b.hash, a.hash);
  assertEquals(
    canonicalManifestBytes({ files: a.manifest.files, blockSize: 4, version: "1", game: "g" }),
    a.bytes,
  );
});

Deno.test("parseManifest accepts what buildManifest produces", () => {
  const built = buildManifest({ game: "g", version: "1", blockSize: 4, files: sample() });
  const parsed = parseManifest(built.bytes, built.hash, { game: "g", version: "1" });
  assertEquals(parsed, { ok: true, manifest: built.manifest });
});

Deno.test("parseManifest checks the hash before anything else", () => {
  const built = buildManifest({ game: "g", version: "1", blockSize: 4, files: sample() });
  const tampered = built.bytes.slice();
  tampered[tampered.length - 3]! ^= 1;
  assertEquals(parseManifest(tampered, built.hash, { game: "g" }), {
    ok: false,
    reason: "manifest hash mismatch",
  });
  const garbage = new Uint8Array([0xff, 0xfe, 0x00]);
  assertEquals(parseManifest(garbage, built.hash, { game: "g" }).ok, false);
  assertEquals(parseManifest(built.bytes, "not-a-hash", { game: "g" }).ok, false);
});

Deno.test("parseManifest refuses a manifest for another game or version", () => {
  const built = buildManifest({ game: "g", version: "1", blockSize: 4, files: sample() });
  assertEquals(parseManifest(built.bytes, built.hash, { game: "other" }).ok, false);
  assertEquals(parseManifest(built.bytes, built.hash, { game: "g", version: "2" }).ok, false);
  assertEquals(parseManifest(built.bytes, built.hash, { game: "g" }).ok, true);
});

Deno.test("parseManifest refuses hostile content even with a matching hash", () => {
  const one = (path: string) => ({ path, size: 1, blocks: [H(1)] });
  const cases: [string, unknown, string][] = [
    ["escaping path", body([one("../etc/passwd")]), "'..' segment"],
    ["absolute path", body([one("/etc/passwd")]), "absolute path"],
    ["drive letter", body([one("C:/x")]), "drive letter"],
    ["backslash", body([one("a\\b")]), "backslash"],
    ["installed tree", body([one("local/save.dat")]), "inside local/"],
    ["staging", body([one(".lanspread-staging/x")]), "starts with .lanspread"],
    ["empty segment", body([one("a//b")]), "empty segment"],
    ["duplicate", body([one("a"), one("a")]), "duplicate path a"],
    ["unsorted", body([one("b"), one("a")]), "not sorted"],
    ["file and folder", body([one("a"), one("a/b")]), "a is both a file and a folder"],
    ["file and deep folder", body([one("a/b"), one("a/b/c/d")]), "a/b is both"],
    ["paths differing in case", body([one("A"), one("a")]), "a and A differ only in case"],
    ["file and folder in case", body([one("A/b"), one("a")]), "file a and folder A differ"],
    ["folders in case", body([one("D/x"), one("d/y")]), "folders d and D differ only in case"],
    ["windows device name", body([one("aux.txt")]), "device name on Windows"],
    ["trailing dot", body([one("readme.")]), "ends in a dot"],
    ["too few blocks", body([{ path: "a", size: 5, blocks: [H(1)] }]), "1 blocks for 5 bytes"],
    ["too many blocks", body([{ path: "a", size: 4, blocks: [H(1), H(2)] }]), "2 blocks"],
    ["blocks of an empty file", body([{ path: "a", size: 0, blocks: [H(1)] }]), "expected 0"],
    ["bad block hash", body([{ path: "a", size: 1, blocks: ["XYZ"] }]), "invalid manifest"],
    ["negative size", body([{ path: "a", size: -1, blocks: [] }]), "invalid manifest"],
    ["fractional size", body([{ path: "a", size: 1.5, blocks: [H(1)] }]), "invalid manifest"],
    ["zero block size", body([], { blockSize: 0 }), "invalid manifest"],
    ["block size too large", body([], { blockSize: LIMITS.blockSize + 1 }), "invalid manifest"],
    ["bad game id", body([], { game: "../g" }), "invalid manifest"],
    ["empty version", body([], { version: "" }), "invalid manifest"],
    ["files not an array", body([], { files: { a: 1 } }), "invalid manifest"],
    ["an array", [], "invalid manifest"],
    ["a string", "manifest", "invalid manifest"],
  ];
  for (const [what, value, reason] of cases) {
    const { bytes, hash } = hostile(value);
    const result = parseManifest(bytes, hash, { game: "g" });
    assert(!result.ok && result.reason.includes(reason), `${what}: ${JSON.stringify(result)}`);
  }
  const notJson = new TextEncoder().encode("{");
  assertEquals(parseManifest(notJson, sha256Hex(notJson), { game: "g" }), {
    ok: false,
    reason: "manifest is not UTF-8 JSON",
  });
});

Deno.test("parseManifest refuses a total size above 2^50 spread over files", () => {
  const half = 2 ** 49 + 1;
  const files = ["a", "b"].map((path) => ({
    path,
    size: half,
    blocks: [] as string[],
  }));
  // Listing the block hashes of such sizes would not fit a payload; the size check comes first.
  const { bytes, hash } = hostile({ game: "g", version: "1", blockSize: LIMITS.blockSize, files });
  const result = parseManifest(bytes, hash, { game: "g" });
  assertEquals(result, { ok: false, reason: `total size above ${MAX_TOTAL_SIZE} bytes` });
});

Deno.test("parseManifest never throws on arbitrary bytes", () => {
  for (let seed = 0; seed < 200; seed++) {
    const bytes = new Uint8Array(seed % 50).map((_, i) => (i * 37 + seed * 11) & 0xff);
    const result = parseManifest(bytes, sha256Hex(bytes), { game: "g" });
    assertEquals(result.ok, false);
  }
  assertEquals(
    parseManifest(null as unknown as Uint8Array, "0".repeat(64), { game: "g" }).ok,
    false,
  );
});
