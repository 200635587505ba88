/**
 * The download sub-protocol's shapes: a game's manifest (the payload of a
 * get-manifest answer) and the runs of blocks a get-block asks for and its
 * answer carries. Apart from the library shapes because only downloads and
 * the library's manifests (src/peer/library/manifest.ts) use them.
 *
 * @module
 */
import { z } from "zod";
import { Count, GameId, LIMITS, Sha256Hex, Version } from "./protocol.ts";

/** One shared file of a manifest; `blocks` are SHA-256 of each block in order. */
export const ManifestFile = z.object({
  path: z.string().min(1).max(LIMITS.maxPathLength),
  size: Count,
  blocks: z.array(Sha256Hex),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** Manifest body; its hash is SHA-256 of its canonical JSON bytes (library/manifest.ts). */
export const Manifest = z.object({
  game: GameId,
  version: Version,
  blockSize: z.number().int().positive().max(LIMITS.blockSize),
  files: z.array(ManifestFile).max(LIMITS.maxManifestFiles),
});
export type Manifest = z.infer<typeof Manifest>;

/** Consecutive blocks of one file; at the end of the file an answer holds fewer. */
export const BlockRun = z.object({
  path: z.string().min(1).max(LIMITS.maxPathLength),
  index: Count,
  count: z.number().int().min(1).max(LIMITS.maxBlocksPerRun),
});
export type BlockRun = z.infer<typeof BlockRun>;
