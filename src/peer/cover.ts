/**
 * A game's cover image for the page: the file `game.json` names, read from
 * our own folder when we have the game, else asked of a peer that offers it
 * (one get-block request). Only raster formats recognised by their first
 * bytes are answered (PNG, JPEG, GIF, WebP), never SVG or anything a
 * browser could run; size is capped. Remote covers are kept in a small
 * memory cache bounded in bytes.
 *
 * @module
 */
import { join } from "node:path";
import { LIMITS } from "../wire/protocol.ts";
import type { Session } from "../wire/session.ts";
import { wirePathError } from "./library/mod.ts";

/** Largest cover answered. */
export const MAX_COVER_BYTES = 4 * 1024 * 1024;
/** Bytes of remote covers kept in memory. */
const CACHE_BYTES = 32 * 1024 * 1024;

export interface Cover {
  bytes: Uint8Array;
  /** Media type from the content. */
  type: string;
}

/** Where covers can come from. */
export interface CoverSources {
  /** The cover path of our downloaded copy and the games folder, or null. */
  local(game: string): { gamesDir: string; path: string } | null;
  /** Connected peers offering the game with a cover: their session and the cover's path. */
  remote(game: string): { peerId: string; version: string; session: Session; path: string }[];
}

/** The media type of an image by its first bytes, or null when it is none we serve. */
export function imageType(bytes: Uint8Array): string | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return null;
}

function asCover(bytes: Uint8Array): Cover | null {
  if (bytes.length === 0 || bytes.length > MAX_COVER_BYTES) return null;
  const type = imageType(bytes);
  return type ? { bytes, type } : null;
}

/** Reads covers, caching the remote ones. */
export class Covers {
  #sources: CoverSources;
  #cache = new Map<string, Cover>();
  #cached = 0;

  constructor(sources: CoverSources) {
    this.#sources = sources;
  }

  /** The cover of `game`, or null when no one has a usable one. */
  async read(game: string, signal?: AbortSignal): Promise<Cover | null> {
    const local = this.#sources.local(game);
    if (local && wirePathError(local.path) === null) {
      const cover = await readLocal(join(local.gamesDir, game, local.path));
      if (cover) return cover;
    }
    for (const offer of this.#sources.remote(game)) {
      if (wirePathError(offer.path) !== null) continue;
      const key = `${offer.peerId}/${game}/${offer.version}/${offer.path}`;
      const hit = this.#cache.get(key);
      if (hit) return hit;
      const cover = await readRemote(offer.session, game, offer.path, signal).catch(() => null);
      if (cover) return this.#keep(key, cover);
    }
    return null;
  }

  #keep(key: string, cover: Cover): Cover {
    this.#cache.set(key, cover);
    this.#cached += cover.bytes.length;
    for (const [old, value] of this.#cache) {
      if (this.#cached <= CACHE_BYTES) break;
      this.#cache.delete(old);
      this.#cached -= value.bytes.length;
    }
    return cover;
  }
}

async function readLocal(path: string): Promise<Cover | null> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size > MAX_COVER_BYTES) return null;
    return asCover(await Deno.readFile(path));
  } catch {
    return null;
  }
}

async function readRemote(
  session: Session,
  game: string,
  path: string,
  signal?: AbortSignal,
): Promise<Cover | null> {
  const count = Math.ceil(MAX_COVER_BYTES / LIMITS.blockSize);
  const { message, payload } = await session.request(
    { type: "get-block", game, runs: [{ path, index: 0, count }] },
    { signal, timeoutMs: 5_000 },
  );
  if (message.type !== "block" || !payload) return null;
  const run = message.runs[0];
  // A cover that fills every block asked for may go on: too large to show.
  if (!run || run.count === count && run.bytes >= MAX_COVER_BYTES) return null;
  return asCover(payload.subarray(0, run.bytes));
}
