/**
 * What survives a crash of the downloading peer: the target manifest, which
 * blocks are verified and on disk, and the stamps of the staged files, in
 * `<state>/downloads/`:
 *
 * - `<game>.manifest.json`: the manifest's canonical bytes (its hash is
 *   checked again on load, so a damaged file is never trusted);
 * - `<game>.json`: `{ v: 2, game, version, manifestHash, install, verified,
 *   unconfirmed }`, two base64 bitmaps over the manifest's blocks in order;
 * - `<game>.stamps.jsonl`: one `[file, size, mtimeMs, ctimeMs, ino]` line
 *   per staged file and flush, appended (and synced) after each flush; the
 *   last line of a file wins, a torn last line is ignored.
 *
 * `verified` blocks were hashed, written and then flushed (fsync). A resume
 * trusts them only while their file's stamp still matches the stored one;
 * a file that was touched, truncated or replaced since (by a crash between
 * writes, or by anybody) has its blocks hashed again from disk, and only
 * those that match stay. `unconfirmed` blocks were hashed and written but
 * not yet flushed: always hashed again. Recovery and resume check what is on
 * disk, never what a record remembers. The record and the manifest are
 * written atomically; the stamps are made durable before the bitmaps that
 * rely on them. Saves cost bytes in proportion to the blocks, never a copy
 * of a set or a rewrite of every stamp, so a game of 50,000 files is as
 * cheap to record as one of 50.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { Sha256Hex } from "../../wire/protocol.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { isGameId, parseManifest } from "../library/mod.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Stamp } from "./staging.ts";

/** What a download fetches, and how far it got. */
export interface DownloadTarget {
  game: string;
  version: string;
  manifestHash: string;
  manifest: Manifest;
  install: boolean;
  /** Blocks verified and durable on disk as of `stamps` (resume). */
  verified: Set<number>;
  /** Blocks verified and written before a restart, not known durable: hashed again. */
  unconfirmed: Set<number>;
  /** Each staged file's stamp after its last flush, by file index. */
  stamps: Map<number, Stamp>;
}

/** A download as saved in the state dir, with the manifest's canonical bytes. */
export interface SavedDownload extends DownloadTarget {
  manifestBytes: Uint8Array;
}

export function progressPaths(stateDir: string, game: string) {
  const dir = join(stateDir, "downloads");
  return {
    dir,
    state: join(dir, `${game}.json`),
    manifest: join(dir, `${game}.manifest.json`),
    stamps: join(dir, `${game}.stamps.jsonl`),
  };
}

/** A bitmap over `blocks` blocks with the bits of `ids` set. */
export function bitsOf(blocks: number, ids: Iterable<number>): Uint8Array {
  const bits = new Uint8Array(Math.ceil(blocks / 8));
  for (const id of ids) {
    if (id >= 0 && id < blocks) bits[id >> 3] = bits[id >> 3]! | (1 << (id & 7));
  }
  return bits;
}

export function encodeBitmap(blocks: number, verified: Iterable<number>): string {
  return bitsToBase64(bitsOf(blocks, verified));
}

/** base64 of a bitmap. */
export function bitsToBase64(bits: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bits.length; i += 0x8000) {
    text += String.fromCharCode(...bits.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function decodeBitmap(blocks: number, encoded: string): Set<number> {
  const bits = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  const set = new Set<number>();
  for (let id = 0; id < Math.min(blocks, bits.length * 8); id++) {
    if (bits[id >> 3]! & (1 << (id & 7))) set.add(id);
  }
  return set;
}

/** Saves the manifest of a new download (once). */
export async function saveManifest(stateDir: string, game: string, bytes: Uint8Array) {
  await writeFileAtomic(progressPaths(stateDir, game).manifest, bytes);
}

/** Saves which blocks are verified (durable) and which were only written (unconfirmed). */
export async function saveProgress(
  stateDir: string,
  d: Pick<DownloadTarget, "game" | "version" | "manifestHash" | "install"> & {
    verified: Uint8Array;
    unconfirmed: Uint8Array;
  },
): Promise<void> {
  const record = {
    v: 2,
    game: d.game,
    version: d.version,
    manifestHash: d.manifestHash,
    install: d.install,
    verified: bitsToBase64(d.verified),
    unconfirmed: bitsToBase64(d.unconfirmed),
  };
  await writeFileAtomic(progressPaths(stateDir, d.game).state, JSON.stringify(record));
}

const stampLine = ([file, s]: [number, Stamp]) =>
  JSON.stringify([file, s.size, s.mtimeMs, s.ctimeMs, s.ino]) + "\n";

/** Appends stamps of files just flushed and makes them durable (before the bitmaps that rely on them). */
export async function appendStamps(
  stateDir: string,
  game: string,
  stamps: ReadonlyMap<number, Stamp>,
): Promise<void> {
  if (stamps.size === 0) return;
  const path = progressPaths(stateDir, game).stamps;
  await Deno.mkdir(dirname(path), { recursive: true });
  using file = await Deno.open(path, { append: true, create: true });
  const bytes = new TextEncoder().encode([...stamps].map(stampLine).join(""));
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
  await file.syncData();
}

/** Replaces the stamps with `stamps` (compacted: one line per file). */
export async function saveStamps(
  stateDir: string,
  game: string,
  stamps: ReadonlyMap<number, Stamp>,
): Promise<void> {
  await writeFileAtomic(progressPaths(stateDir, game).stamps, [...stamps].map(stampLine).join(""));
}

/** Forgets a download (finished or cancelled). */
export async function clearProgress(stateDir: string, game: string): Promise<void> {
  const p = progressPaths(stateDir, game);
  for (const path of [p.state, p.stamps, p.manifest]) await Deno.remove(path).catch(() => {});
}

/** A saved download that cannot be resumed, and why. */
export interface BadRecord {
  /** The game id, when the record's name is one (its staged data can be found). */
  game: string | null;
  name: string;
  reason: string;
}

/** Every saved download that can be resumed, and those that cannot. */
export async function loadProgress(
  stateDir: string,
): Promise<{ saved: SavedDownload[]; bad: BadRecord[] }> {
  const { dir } = progressPaths(stateDir, "x");
  const saved: SavedDownload[] = [];
  const bad: BadRecord[] = [];
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return { saved, bad };
  }
  for (const name of names) {
    if (!name.endsWith(".json") || /\.(manifest|commit)\.json$/.test(name)) continue;
    const game = name.slice(0, -".json".length);
    try {
      saved.push(await loadOne(stateDir, game));
    } catch (error) {
      bad.push({ game: isGameId(game) ? game : null, name, reason: errorMessage(error) });
    }
  }
  return { saved, bad };
}

async function loadOne(stateDir: string, game: string): Promise<SavedDownload> {
  if (!isGameId(game)) throw new Error("not a game id");
  const p = progressPaths(stateDir, game);
  const record = await readJsonIfExists(p.state) as Record<string, unknown> | undefined;
  if (!record || record.v !== 2 || record.game !== game) throw new Error("unknown record");
  const hash = Sha256Hex.parse(record.manifestHash);
  const bytes = await Deno.readFile(p.manifest);
  const parsed = parseManifest(bytes, hash, { game, version: String(record.version) });
  if (!parsed.ok) throw new Error(`saved manifest rejected: ${parsed.reason}`);
  const blocks = parsed.manifest.files.reduce((n, f) => n + f.blocks.length, 0);
  return {
    game,
    version: parsed.manifest.version,
    manifestHash: hash,
    manifest: parsed.manifest,
    manifestBytes: bytes,
    install: record.install === true,
    verified: decodeBitmap(blocks, String(record.verified ?? "")),
    unconfirmed: decodeBitmap(blocks, String(record.unconfirmed ?? "")),
    stamps: await loadStamps(p.stamps, parsed.manifest.files.length),
  };
}

/** The stored stamps, last line per file winning; damaged lines are skipped (hashed again). */
async function loadStamps(path: string, files: number): Promise<Map<number, Stamp>> {
  const stamps = new Map<number, Stamp>();
  const text = await Deno.readTextFile(path).catch(() => "");
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const opt = (x: unknown) => x === null ? null : num(x) ? x as number : undefined;
  for (const line of text.split("\n")) {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue; // a torn last line, or damage
    }
    if (!Array.isArray(row) || row.length !== 5) continue;
    const [file, size, mtimeMs, ctimeMs, ino] = row;
    const stamp = { size, mtimeMs: opt(mtimeMs), ctimeMs: opt(ctimeMs), ino: opt(ino) };
    if (!Number.isInteger(file) || file < 0 || file >= files || !num(size)) continue;
    if (stamp.mtimeMs === undefined || stamp.ctimeMs === undefined || stamp.ino === undefined) {
      continue;
    }
    stamps.set(file, stamp as Stamp);
  }
  return stamps;
}
