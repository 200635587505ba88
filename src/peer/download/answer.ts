/**
 * Reading a get-block answer (protocol.ts): which bytes of the payload
 * belong to which run that was asked, and which verified stretches to
 * write. Pure, so the rules a hostile or confused peer meets are tested
 * without a network.
 *
 * @module
 */
import type { BlockRun } from "../../wire/protocol.ts";

/** A run of an answer as the peer described it. */
export type AnsweredRun = BlockRun & { bytes: number };

/** The bytes of one asked run in an answer, and how many blocks they hold. */
export interface RunSlice {
  count: number;
  bytes: Uint8Array;
}

/**
 * Splits `payload` among the runs asked, in order. An answer holds a prefix
 * of the runs asked, each maybe cut short (fewer blocks at the end of a
 * file or when the answer was full). From the first run that is not what
 * was asked (another path or index, more blocks than asked, bytes past the
 * payload) on, nothing is taken: those runs get null and are asked again,
 * and the bytes before it are judged by their hashes.
 */
export function sliceAnswer(
  asked: BlockRun[],
  answered: AnsweredRun[],
  payload: Uint8Array,
): (RunSlice | null)[] {
  const out: (RunSlice | null)[] = asked.map(() => null);
  let offset = 0;
  for (let i = 0; i < asked.length; i++) {
    const want = asked[i]!;
    const got = answered[i];
    if (!got || got.path !== want.path || got.index !== want.index) break;
    if (got.count > want.count || offset + got.bytes > payload.length) break;
    out[i] = { count: got.count, bytes: payload.subarray(offset, offset + got.bytes) };
    offset += got.bytes;
  }
  return out;
}

/**
 * The stretches `[from, to)` of consecutive blocks that verified and are
 * not done yet, so that each is written with one write.
 */
export function goodStretches(ok: boolean[], isDone: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let from = -1;
  for (let i = 0; i <= ok.length; i++) {
    const good = i < ok.length && ok[i] && !isDone(i);
    if (good && from < 0) from = i;
    if (!good && from >= 0) {
      out.push([from, i]);
      from = -1;
    }
  }
  return out;
}
