/**
 * Reading a get-block answer (protocol.ts): which bytes of the payload
 * belong to which run that was asked. Pure, so the rules a hostile or
 * confused peer meets are tested without a network.
 *
 * @module
 */
import type { BlockRun } from "../../wire/download_schemas.ts";

/** A run of an answer as the peer described it. */
export type AnsweredRun = BlockRun & { bytes: number };

/** Where one asked run lies in an answer's payload, and how many blocks it holds. */
export interface RunSlice {
  count: number;
  /** Offset in the payload. */
  offset: number;
  bytes: number;
}

/**
 * Splits a payload of `payloadLength` bytes among the runs asked, in order.
 * An answer holds a prefix of the runs asked, each maybe cut short (fewer
 * blocks at the end of a file or when the answer was full). From the first
 * run that is not what was asked (another path or index, more blocks than
 * asked, bytes past the payload) on, nothing is taken: those runs get null
 * and are asked again, and the bytes before it are judged by their hashes.
 */
export function sliceAnswer(
  asked: BlockRun[],
  answered: AnsweredRun[],
  payloadLength: number,
): (RunSlice | null)[] {
  const out: (RunSlice | null)[] = asked.map(() => null);
  let offset = 0;
  for (let i = 0; i < asked.length; i++) {
    const want = asked[i]!;
    const got = answered[i];
    if (!got || got.path !== want.path || got.index !== want.index) break;
    if (got.count > want.count || offset + got.bytes > payloadLength) break;
    out[i] = { count: got.count, offset, bytes: got.bytes };
    offset += got.bytes;
  }
  return out;
}
