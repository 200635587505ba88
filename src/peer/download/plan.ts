/**
 * A manifest laid out as blocks: the global block list the scheduler works
 * on, each block's hash, the verification of a run of received bytes, and
 * the grouping of runs into requests.
 *
 * A block is hashed right where it was received, on the JavaScript thread
 * (node:crypto, SHA-NI where the CPU has it): WebCrypto would run it on
 * another thread, but copies the block first and costs a thread hand-off
 * each way, ~25 % more CPU per byte in all (measured: 0.70 against 0.87 to
 * 1.16 s/GB), and CPU is what a busy LAN-party machine lacks.
 *
 * @module
 */
import { LIMITS } from "../../wire/protocol.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { sha256Hex } from "../library/mod.ts";
import type { BlockSpec } from "./scheduler.ts";
import type { Run } from "./_scheduler_runs.ts";

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

/** Whether `bytes` are block `id` of the plan: its exact size and its hash. */
export function verifyBlock(plan: BlockPlan, id: number, bytes: Uint8Array): boolean {
  return bytes.length === plan.blocks[id]?.size && sha256Hex(bytes) === plan.hashes[id];
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
