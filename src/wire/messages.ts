/**
 * The messages of a connection after hello: every request a peer may send
 * and every response, each a discriminated union over the sub-protocols
 * (library sync, downloads), and the error answer that hello shares. Apart
 * from the sub-protocols' shapes because this is the one place that lists
 * them all, which the requesting and the answering side both check against.
 *
 * @module
 */
import { z } from "zod";
import { WIRE_ERROR_CODES, type WireErrorCode } from "../common/errors.ts";
import { Count, GameId, LIMITS, Sha256Hex, Version } from "./protocol.ts";
import { LibraryDelta, LibraryPage } from "./library_schemas.ts";
import { BlockRun } from "./download_schemas.ts";
import { AckEnvelope } from "./handshake_schemas.ts";

export const ErrorMessage = z.object({
  type: z.literal("error"),
  code: z.enum(WIRE_ERROR_CODES),
  message: z.string().max(LIMITS.maxTextLength),
  retryAfterMs: Count.optional(),
  /** Set with version-mismatch: the answering peer, with its proof. */
  peer: AckEnvelope.optional(),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** Requests a peer may send after hello. */
export const Request = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("goodbye"), reason: z.string().max(LIMITS.maxTextLength) }),
  z.object({ type: z.literal("library-delta"), delta: LibraryDelta }),
  /** Our library moved to `rev` by more than a delta may carry: fetch it with get-library. */
  z.object({ type: z.literal("library-changed"), rev: Count }),
  /**
   * A page of the snapshot at `rev` (the one hello or an earlier page
   * carried), or without `rev` of the current snapshot (a fresh fetch).
   */
  z.object({ type: z.literal("get-library"), rev: Count.optional(), offset: Count }),
  z.object({ type: z.literal("get-manifest"), game: GameId }),
  z.object({
    type: z.literal("get-block"),
    game: GameId,
    /** Runs of consecutive blocks, answered in order, as many as fit in one response. */
    runs: z.array(BlockRun).min(1).max(LIMITS.maxRunsPerRequest),
  }),
  /**
   * Block `index` of `path` failed verification against the manifest the
   * sender got from us: we read that block again (each sender, each file at
   * most once a minute) and, if it changed, hash the file again and publish
   * the new manifest. Answered ok at once; not-found for a block we lack.
   */
  z.object({
    type: z.literal("report-bad-block"),
    game: GameId,
    path: z.string().min(1).max(LIMITS.maxPathLength),
    index: Count,
  }),
]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request["type"];

/** Responses, each matched to its request by the stream it arrives on. */
export const Response = z.discriminatedUnion("type", [
  z.object({ type: z.literal("pong") }),
  z.object({ type: z.literal("ok") }),
  z.object({ type: z.literal("library"), library: LibraryPage }),
  z.object({
    type: z.literal("manifest"),
    game: GameId,
    version: Version,
    hash: Sha256Hex,
    payload: Count,
  }),
  z.object({
    type: z.literal("block"),
    game: GameId,
    /** The runs in the payload, back to back: a prefix of those asked, each maybe cut short. */
    runs: z.array(BlockRun.extend({ bytes: Count })).min(1).max(LIMITS.maxRunsPerRequest),
    payload: Count,
  }),
  ErrorMessage,
]);
export type Response = z.infer<typeof Response>;

/** Builds an error message. */
export function errorResponse(
  code: WireErrorCode,
  message: string,
  extra: Partial<Omit<ErrorMessage, "type" | "code" | "message">> = {},
): ErrorMessage {
  return { type: "error", code, message: message.slice(0, LIMITS.maxTextLength), ...extra };
}
