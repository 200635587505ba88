/**
 * Manifests: what a game consists of, block hash by block hash (README "How peers talk").
 *
 * The canonical bytes are JSON with a fixed key order (`game`, `version`,
 * `blockSize`, `files`; per file `path`, `size`, `blocks`) and files sorted
 * by path in UTF-16 code unit order; the manifest hash is SHA-256 of exactly
 * those bytes. Peers advertise the hash in their library snapshot, serve the
 * bytes on get-manifest, and a downloader checks the bytes against the hash
 * before believing anything in them ({@linkcode parseManifest}).
 *
 * @module
 */
import { describeIssues, LIMITS } from "../../wire/protocol.ts";
import { Manifest, type ManifestFile } from "../../wire/download_schemas.ts";
import { blockCount, sha256Hex } from "./hasher.ts";
import { comparePaths, PathClashes, wirePathError } from "./paths.ts";
import { errorMessage } from "../../common/errors.ts";

/** Largest total size a manifest may describe (1 PiB): far beyond any game, far below 2^53. */
export const MAX_TOTAL_SIZE = 2 ** 50;

/** A manifest with its canonical bytes and their hash. */
export interface BuiltManifest {
  manifest: Manifest;
  bytes: Uint8Array;
  hash: string;
}

/** Whether `files` are in manifest order already (as a scan lists them). */
function sortedByPath(files: readonly ManifestFile[]): boolean {
  for (let i = 1; i < files.length; i++) {
    if (comparePaths(files[i - 1]!.path, files[i]!.path) > 0) return false;
  }
  return true;
}

/**
 * The canonical JSON bytes of `manifest`: `{game, version, blockSize,
 * files: [{path, size, blocks}]}` in that key order, files sorted by path —
 * exactly `JSON.stringify` of that object, built a few thousand files at a
 * time so that a manifest of 50,000 files is never one giant string.
 */
export function canonicalManifestBytes(manifest: Manifest): Uint8Array {
  const files = sortedByPath(manifest.files)
    ? manifest.files
    : [...manifest.files].sort((a, b) => comparePaths(a.path, b.path));
  const { game, version, blockSize } = manifest;
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  let text = JSON.stringify({ game, version, blockSize }).slice(0, -1) + ',"files":[';
  for (let i = 0; i < files.length; i++) {
    const { path, size, blocks } = files[i]!;
    text += (i ? "," : "") + JSON.stringify({ path, size, blocks });
    if (text.length > 65_536) {
      parts.push(encoder.encode(text));
      text = "";
    }
  }
  parts.push(encoder.encode(text + "]}"));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** Builds the manifest of a game from its files' block hashes. */
export function buildManifest(options: {
  game: string;
  version: string;
  blockSize: number;
  files: readonly ManifestFile[];
}): BuiltManifest {
  const { game, version, blockSize, files } = options;
  const manifest: Manifest = {
    game,
    version,
    blockSize,
    files: files.map((f) => ({ path: f.path, size: f.size, blocks: f.blocks }))
      .sort((a, b) => comparePaths(a.path, b.path)),
  };
  const bytes = canonicalManifestBytes(manifest);
  return { manifest, bytes, hash: sha256Hex(bytes) };
}

export type ParsedManifest =
  | { ok: true; manifest: Manifest }
  | { ok: false; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;
const ManifestHead = Manifest.omit({ files: true });

/** Why `files` is not a list of manifest files (the ManifestFile schema, checked in place). */
function filesShapeError(files: unknown): string | null {
  if (!Array.isArray(files)) return "files: not an array";
  if (files.length > LIMITS.maxManifestFiles) {
    return `files: more than ${LIMITS.maxManifestFiles}`;
  }
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as Partial<ManifestFile> | null;
    const where = `files.${i}`;
    if (typeof file !== "object" || file === null || Array.isArray(file)) {
      return `${where}: not an object`;
    }
    const { path, size, blocks } = file;
    if (typeof path !== "string" || path.length < 1 || path.length > LIMITS.maxPathLength) {
      return `${where}.path: not a path of 1 to ${LIMITS.maxPathLength} characters`;
    }
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      return `${where}.size: not a byte count`;
    }
    if (!Array.isArray(blocks) || !blocks.every((h) => typeof h === "string" && HEX64.test(h))) {
      return `${where}.blocks: not a list of sha-256 hex digests`;
    }
  }
  return null;
}

function fail(reason: string): ParsedManifest {
  return { ok: false, reason };
}

/** Why the file list is unacceptable, or null. Assumes the zod shape is valid. */
function filesError(manifest: Manifest): string | null {
  // First, so that absurd sizes are refused before any per-file arithmetic.
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_TOTAL_SIZE) return `total size above ${MAX_TOTAL_SIZE} bytes`;
  const clashes = new PathClashes();
  let previous: string | null = null;
  for (const file of manifest.files) {
    const bad = wirePathError(file.path);
    if (bad) return `bad path ${JSON.stringify(file.path.slice(0, 200))}: ${bad}`;
    // Case-insensitive too: one of the two would overwrite the other on Windows or macOS.
    const clash = clashes.add(file.path);
    if (clash) return clash;
    if (previous !== null && comparePaths(previous, file.path) > 0) {
      return "files not sorted by path";
    }
    previous = file.path;
    const expected = blockCount(file.size, manifest.blockSize);
    if (file.blocks.length !== expected) {
      return `${file.path}: ${file.blocks.length} blocks for ${file.size} bytes (expected ${expected})`;
    }
  }
  return null;
}

/**
 * Checks manifest bytes received from an untrusted peer: first against the
 * expected hash, then as JSON and schema, then every rule a downloader relies
 * on (acceptable unique paths, no file/folder clash, block counts matching
 * sizes). Never throws.
 */
export function parseManifest(
  bytes: Uint8Array,
  expectedHash: string,
  expected: { game: string; version?: string },
): ParsedManifest {
  try {
    if (!(bytes instanceof Uint8Array)) return fail("not bytes");
    if (typeof expectedHash !== "string" || !HEX64.test(expectedHash.toLowerCase())) {
      return fail("expected hash is not a sha-256 hex digest");
    }
    if (bytes.length > LIMITS.maxPayloadBytes) return fail("manifest too large");
    if (sha256Hex(bytes) !== expectedHash.toLowerCase()) return fail("manifest hash mismatch");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return fail("manifest is not UTF-8 JSON");
    }
    // The head through the schema; the files, possibly 500,000 of them, by hand and in
    // place: a schema copy of every entry costs a downloader tens of MB it never gets back.
    const head = ManifestHead.safeParse(json);
    if (!head.success) return fail(`invalid manifest: ${describeIssues(head.error)}`);
    const files = (json as { files?: unknown }).files;
    const shape = filesShapeError(files);
    if (shape) return fail(`invalid manifest: ${shape}`);
    const manifest: Manifest = { ...head.data, files: files as ManifestFile[] };
    if (manifest.game !== expected.game) return fail(`manifest is for game ${manifest.game}`);
    if (expected.version !== undefined && manifest.version !== expected.version) {
      return fail(`manifest is for version ${manifest.version}`);
    }
    const bad = filesError(manifest);
    return bad ? fail(bad) : { ok: true, manifest };
  } catch (error) {
    // Belt and braces: hostile input must never take the caller down.
    return fail(`unreadable manifest: ${errorMessage(error)}`);
  }
}
