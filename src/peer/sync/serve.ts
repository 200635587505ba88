/**
 * Answers a peer's library requests (get-manifest, get-block,
 * report-bad-block) from the local library. Paths are checked by the library against the
 * current manifest, so only files it offers can ever be read.
 *
 * @module
 */
import {
  type BlockRun,
  errorResponse,
  type LibraryDelta,
  type LibrarySnapshot,
  LIMITS,
} from "../../wire/protocol.ts";
import { wirePathError } from "../library/mod.ts";
import type { BadBlockAnswer, BlockAnswer, ManifestAnswer } from "../library/mod.ts";
import type { Reply } from "../../wire/session.ts";
import type { Slots } from "../../common/async.ts";
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";

export type { BadBlockAnswer, BlockAnswer, ManifestAnswer };

/** What the sync layer needs of the local library. */
export interface LibraryPort {
  snapshot(): LibrarySnapshot;
  onChange(listener: (delta: LibraryDelta) => void): () => void;
  getManifest(game: string): Promise<ManifestAnswer>;
  readBlock(
    game: string,
    path: string,
    index: number,
    count?: number,
    allocate?: (bytes: number) => ArrayBuffer,
  ): Promise<BlockAnswer>;
  /** A peer says block `index` of `path` failed verification (`reporter` names it in the log). */
  reportBadBlock(game: string, path: string, index: number, reporter: string): BadBlockAnswer;
}

/** Answers report-bad-block: the library re-checks the file in the background. */
export function reportBadBlock(
  library: LibraryPort,
  reporter: { name: string; peerId: string },
  request: { game: string; path: string; index: number },
): Reply {
  const bad = wirePathError(request.path);
  if (bad) return { message: errorResponse("bad-request", `bad path: ${bad}`) };
  const who = `${reporter.name} (${reporter.peerId})`;
  const answer = library.reportBadBlock(request.game, request.path, request.index, who);
  if (!answer.ok) return { message: errorResponse(answer.code, answer.message) };
  return { message: { type: "ok" } };
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

/**
 * Answers the runs of a get-block in order, as many as fit in one response.
 * A bad path anywhere refuses the whole request; a run that cannot be read
 * ends the answer there (the peer asks for the rest again), and only when
 * not even the first can be read is the answer an error.
 */
export async function serveBlocks(
  library: LibraryPort,
  request: { game: string; runs: BlockRun[] },
  pool?: BufferPool,
): Promise<Reply> {
  const bad = request.runs.map((r) => wirePathError(r.path)).find((e) => e !== null);
  if (bad) return { message: errorResponse("bad-request", `bad path: ${bad}`) };
  const runs: (BlockRun & { bytes: number })[] = [];
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const run of request.runs) {
    const allocate = pool && ((bytes: number) => pool.take(bytes));
    const answer = await library.readBlock(request.game, run.path, run.index, run.count, allocate);
    if (!answer.ok) {
      if (runs.length === 0) return failure(answer);
      break;
    }
    if (runs.length > 0 && total + answer.bytes.length > LIMITS.maxBlockResponseBytes) {
      pool?.give(answer.bytes.buffer);
      break;
    }
    runs.push({
      path: run.path,
      index: run.index,
      count: answer.count,
      bytes: answer.bytes.length,
    });
    parts.push(answer.bytes);
    total += answer.bytes.length;
  }
  return { message: { type: "block", game: request.game, runs, payload: total }, payload: parts };
}

/**
 * Serves a get-block within the peer's upload slots and the global upload
 * cap. Beyond the per-peer cap a request waits its turn: refusing it would
 * make the downloader back off and leave the link idle.
 */
export async function serveUpload(
  library: LibraryPort,
  slots: Slots,
  gate: RateGate,
  pool: BufferPool,
  request: { game: string; runs: BlockRun[] },
): Promise<Reply> {
  const release = await slots.take();
  try {
    const reply = await serveBlocks(library, request, pool);
    const pace = gate.limited ? (bytes: number) => gate.pass(bytes) : undefined;
    const parts = Array.isArray(reply.payload) ? reply.payload : [];
    const sent = () => {
      release();
      for (const part of parts) pool.give(part.buffer);
    };
    return { ...reply, sent, pace };
  } catch (error) {
    release();
    throw error;
  }
}
