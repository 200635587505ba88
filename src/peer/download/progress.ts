/**
 * What survives a crash of the downloading peer: the target manifest and
 * which blocks are verified and on disk, in `<state>/downloads/`:
 *
 * - `<game>.manifest.json`: the manifest's canonical bytes (its hash is
 *   checked again on load, so a damaged file is never trusted);
 * - `<game>.json`: `{ v: 1, game, version, manifestHash, install, verified,
 *   unconfirmed }`, two base64 bitmaps over the manifest's blocks in order.
 *
 * `verified` blocks were hashed and then flushed (fsync) to their staging
 * file: a restart trusts them. `unconfirmed` blocks were hashed and written
 * but not yet flushed: a restart hashes them again from the staging file and
 * keeps those that still match. So progress is recorded often and cheaply,
 * a crash costs almost nothing to refetch, and a torn write is never trusted.
 * Both files are written atomically.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../../common/atomic.ts";
import { type Manifest, Sha256Hex } from "../../wire/protocol.ts";
import { isGameId, parseManifest } from "../library/mod.ts";
import { errorMessage } from "../../common/errors.ts";

/** What a download fetches, and how far it got. */
export interface DownloadTarget {
  game: string;
  version: string;
  manifestHash: string;
  manifest: Manifest;
  install: boolean;
  /** Blocks verified and durable on disk (resume). */
  verified: Set<number>;
  /** Blocks verified and written before a restart, not known durable: hashed again. */
  unconfirmed: Set<number>;
}

/** A download as saved in the state dir, with the manifest's canonical bytes. */
export interface SavedDownload extends DownloadTarget {
  manifestBytes: Uint8Array;
}

function paths(stateDir: string, game: string) {
  const dir = join(stateDir, "downloads");
  return { dir, state: join(dir, `${game}.json`), manifest: join(dir, `${game}.manifest.json`) };
}

export function encodeBitmap(blocks: number, verified: Iterable<number>): string {
  const bits = new Uint8Array(Math.ceil(blocks / 8));
  for (const id of verified) {
    if (id >= 0 && id < blocks) bits[id >> 3] = bits[id >> 3]! | (1 << (id & 7));
  }
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
  await writeFileAtomic(paths(stateDir, game).manifest, bytes);
}

/** Saves which blocks are verified. */
export async function saveProgress(
  stateDir: string,
  d: Omit<SavedDownload, "manifestBytes" | "manifest"> & { blocks: number },
): Promise<void> {
  const record = {
    v: 1,
    game: d.game,
    version: d.version,
    manifestHash: d.manifestHash,
    install: d.install,
    verified: encodeBitmap(d.blocks, d.verified),
    unconfirmed: encodeBitmap(d.blocks, d.unconfirmed),
  };
  await writeFileAtomic(paths(stateDir, d.game).state, JSON.stringify(record));
}

/** Forgets a download (finished or cancelled). */
export async function clearProgress(stateDir: string, game: string): Promise<void> {
  const p = paths(stateDir, game);
  for (const path of [p.state, p.manifest]) await Deno.remove(path).catch(() => {});
}

/** Every saved download that can be resumed; damaged records are reported and skipped. */
export async function loadProgress(
  stateDir: string,
  onBad: (name: string, reason: string) => void,
): Promise<SavedDownload[]> {
  const { dir } = paths(stateDir, "x");
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return [];
  }
  const out: SavedDownload[] = [];
  for (const name of names) {
    const game = name.slice(0, -".json".length);
    if (
      !name.endsWith(".json") || name.endsWith(".manifest.json") || name.endsWith(".commit.json")
    ) {
      continue;
    }
    try {
      out.push(await loadOne(stateDir, game));
    } catch (error) {
      onBad(name, errorMessage(error));
    }
  }
  return out;
}

async function loadOne(stateDir: string, game: string): Promise<SavedDownload> {
  if (!isGameId(game)) throw new Error("not a game id");
  const p = paths(stateDir, game);
  const record = await readJsonIfExists(p.state) as Record<string, unknown> | undefined;
  if (!record || record.v !== 1 || record.game !== game) throw new Error("unknown record");
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
  };
}
