/**
 * A manifest laid out as blocks: the global block list the scheduler works
 * on, each block's hash, the verification of a run of received bytes, and
 * the grouping of runs into requests.
 * Hashing uses WebCrypto, which Deno runs off the JavaScript thread: at
 * hundreds of MB/s a hash on the main thread would steal a quarter of it.
 *
 * @module
 */
import { LIMITS, type Manifest } from "../../wire/protocol.ts";
import { hex } from "../../common/encoding.ts";
import type { BlockSpec, Run } from "./scheduler.ts";

export interface BlockPlan {
  blocks: BlockSpec[];
  hashes: string[];
  totalBytes: number;
  /** The global id of each file's first block; file f's blocks are firstOf[f]..firstOf[f+1]-1. */
  firstOf: number[];
}

/** Every block of every file, in manifest order. */
export function planBlocks(manifest: Manifest): BlockPlan {
  const blocks: BlockSpec[] = [];
  const hashes: string[] = [];
  const firstOf: number[] = [];
  let totalBytes = 0;
  manifest.files.forEach((file, f) => {
    firstOf.push(blocks.length);
    file.blocks.forEach((hash, index) => {
      const size = Math.min(manifest.blockSize, file.size - index * manifest.blockSize);
      blocks.push({ file: f, index, size });
      hashes.push(hash);
      totalBytes += size;
    });
  });
  firstOf.push(blocks.length);
  return { blocks, hashes, totalBytes, firstOf };
}

/**
 * Splits `payload` into the blocks `first, first+1, ...` and checks each
 * against its hash. A payload of the wrong length fails every block.
 */
export async function verifyRun(
  plan: BlockPlan,
  first: number,
  count: number,
  payload: Uint8Array,
): Promise<{ ok: boolean[] }> {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const size = plan.blocks[first + i]!.size;
    parts.push(payload.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== payload.length) return { ok: parts.map(() => false) };
  const ok = await Promise.all(parts.map(async (part, i) => {
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", part as Uint8Array<ArrayBuffer>),
    );
    return hex(digest) === plan.hashes[first + i];
  }));
  return { ok };
}

/** Groups runs into get-block requests: up to the response size and run count limits. */
export function batches(runs: Run[]): Run[][] {
  const out: Run[][] = [];
  let current: Run[] = [];
  let bytes = 0;
  for (const run of runs) {
    const full = current.length >= LIMITS.maxRunsPerRequest ||
      bytes + run.bytes > LIMITS.maxBlockResponseBytes;
    if (current.length > 0 && full) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(run);
    bytes += run.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
