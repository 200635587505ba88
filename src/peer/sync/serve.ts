/**
 * Answers a peer's library requests (get-manifest, get-block,
 * report-bad-block) from the local library. Paths are checked by the library against the
 * current manifest, so only files it offers can ever be read.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";
import { errorResponse } from "../../wire/messages.ts";
import type { LibraryDelta, LibrarySnapshot } from "../../wire/library_schemas.ts";
import type { BlockRun } from "../../wire/download_schemas.ts";
import { wirePathError } from "../library/mod.ts";
import type { BadBlockAnswer, BlockFailure, ManifestAnswer, RunAnswer } from "../library/mod.ts";
import type { Reply } from "../../wire/responder.ts";
import type { Slots } from "../../common/async.ts";
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";

export type { BadBlockAnswer, ManifestAnswer, RunAnswer };

/** What the sync layer needs of the local library. */
export interface LibraryPort {
  snapshot(): LibrarySnapshot;
  onChange(listener: (delta: LibraryDelta) => void): () => void;
  getManifest(game: string): Promise<ManifestAnswer>;
  /** `count` blocks from `index`, sized at once and read piece by piece (get-block answers). */
  openRun(game: string, path: string, index: number, count?: number): RunAnswer;
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

function failure(answer: Extract<ManifestAnswer | BlockFailure, { ok: false }>): Reply {
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

/** Bytes read from disk at once while an answer is sent: a few blocks. */
const PIECE_BYTES = 4 * LIMITS.blockSize;

/** A run being answered: as asked, as sized, and its reader. */
type Answered = { asked: BlockRun; open: Extract<RunAnswer, { ok: true }> };

/**
 * Answers the runs of a get-block in order, as many as fit in one response,
 * streamed: the header goes out once the runs are sized and the first
 * block is read, and the rest is read from disk while it is sent (a few
 * blocks ahead), so the first block reaches the peer at once and an answer
 * holds little memory. A bad path anywhere refuses the whole request; a run
 * that cannot be sized ends the answer there (the peer asks for the rest
 * again); when the first block cannot be read the answer is an error; a
 * later read that fails resets the stream (the peer keeps what it verified
 * and asks again for the rest).
 */
export async function serveBlocks(
  library: LibraryPort,
  request: { game: string; runs: BlockRun[] },
  pool?: BufferPool,
): Promise<Reply> {
  const bad = request.runs.map((r) => wirePathError(r.path)).find((e) => e !== null);
  if (bad) return { message: errorResponse("bad-request", `bad path: ${bad}`) };
  const runs: Answered[] = [];
  let total = 0;
  for (const asked of request.runs) {
    const open = library.openRun(request.game, asked.path, asked.index, asked.count);
    if (!open.ok) {
      if (runs.length === 0) return failure(open);
      break;
    }
    if (runs.length > 0 && total + open.bytes > LIMITS.maxBlockResponseBytes) {
      open.close();
      break;
    }
    runs.push({ asked, open });
    total += open.bytes;
  }
  const closeAll = () => runs.forEach((r) => r.open.close());
  const allocate = pool && ((bytes: number) => pool.take(bytes));
  const give = (piece: Uint8Array) => pool?.give(piece.buffer);
  // Pieces in order: the first is one block (it goes out at once), later ones a few.
  const pieces: { run: Answered; length: number }[] = [];
  for (const run of runs) {
    for (let at = 0; at < run.open.bytes;) {
      const size = pieces.length === 0 ? LIMITS.blockSize : PIECE_BYTES;
      const length = Math.min(size, run.open.bytes - at);
      pieces.push({ run, length });
      at += length;
    }
  }
  const read = (i: number) => pieces[i]!.run.open.read(pieces[i]!.length, allocate);
  let first: Uint8Array | BlockFailure;
  try {
    first = await read(0);
  } catch (error) {
    closeAll();
    throw error;
  }
  if (!(first instanceof Uint8Array)) {
    closeAll();
    return failure(first);
  }
  const message = {
    type: "block" as const,
    game: request.game,
    runs: runs.map(({ asked, open }) => ({
      path: asked.path,
      index: asked.index,
      count: open.count,
      bytes: open.bytes,
    })),
    payload: total,
  };
  const write = async (send: (piece: Uint8Array) => Promise<void>) => {
    let next: Promise<Uint8Array | BlockFailure> | null = null;
    let current: Uint8Array | BlockFailure | null = first;
    try {
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0) current = await next!;
        next = i + 1 < pieces.length ? read(i + 1) : null; // the next piece is read meanwhile
        const piece = current!;
        current = null;
        if (!(piece instanceof Uint8Array)) throw new Error(piece.message);
        try {
          await send(piece);
        } finally {
          give(piece);
        }
        // A run's file is closed once its last piece went out.
        if (i + 1 === pieces.length || pieces[i + 1]!.run !== pieces[i]!.run) {
          pieces[i]!.run.open.close();
        }
      }
    } finally {
      if (current instanceof Uint8Array) give(current);
      const late = await next?.catch(() => null);
      if (late instanceof Uint8Array) give(late);
      closeAll();
    }
  };
  const cancel = () => {
    give(first);
    closeAll();
  };
  return { message, body: { bytes: total, write, cancel }, bulk: true };
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
    return { ...reply, sent: release, pace };
  } catch (error) {
    release();
    throw error;
  }
}
