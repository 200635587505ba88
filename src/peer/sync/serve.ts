/**
 * Answers a peer's library requests (get-library, get-manifest, get-block)
 * from the local library. Paths are checked by the library against the
 * current manifest, so only files it offers can ever be read.
 *
 * @module
 */
import { errorResponse, type LibraryDelta, type LibrarySnapshot } from "../protocol.ts";
import type { BlockAnswer, ManifestAnswer } from "../library/mod.ts";
import type { Reply } from "./session.ts";

export type { BlockAnswer, ManifestAnswer };

/** What the sync layer needs of the local library. */
export interface LibraryPort {
  snapshot(): LibrarySnapshot;
  onChange(listener: (delta: LibraryDelta) => void): () => void;
  getManifest(game: string): Promise<ManifestAnswer>;
  readBlock(game: string, path: string, index: number, count?: number): Promise<BlockAnswer>;
}

function failure(answer: Extract<ManifestAnswer | BlockAnswer, { ok: false }>): Reply {
  const extra = answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs };
  return { message: errorResponse(answer.code, answer.message, extra) };
}

export async function serveManifest(library: LibraryPort, game: string): Promise<Reply> {
  const answer = await library.getManifest(game);
  if (!answer.ok) return failure(answer);
  return {
    message: {
      type: "manifest",
      game,
      version: answer.version,
      hash: answer.hash,
      payload: answer.bytes.length,
    },
    payload: answer.bytes,
  };
}

export async function serveBlock(
  library: LibraryPort,
  request: { game: string; path: string; index: number; count?: number },
): Promise<Reply> {
  const { game, path, index, count = 1 } = request;
  const answer = await library.readBlock(game, path, index, count);
  if (!answer.ok) return failure(answer);
  return {
    message: {
      type: "block",
      game,
      path,
      index,
      count: answer.count,
      payload: answer.bytes.length,
    },
    payload: answer.bytes,
  };
}
