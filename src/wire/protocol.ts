/**
 * The lanspread wire protocol: version, limits, error codes and a zod schema
 * for every message. Nothing else in the code base defines wire shapes.
 *
 * Transport: QUIC (RFC 9000) with TLS 1.3 (RFC 9001), ALPN
 * `lanspread/<PROTOCOL_VERSION>`. Every request is one bidirectional stream
 * carrying one request frame and one response frame (see `framing.ts`):
 *
 * ```
 * hello            -> hello-ack | error           (first stream of a connection)
 * ping             -> pong
 * goodbye          -> ok
 * library-delta    -> ok
 * get-library      -> library
 * get-manifest     -> manifest + payload (canonical manifest JSON) | error busy
 * get-block        -> block + payload (the runs' blocks back to back) | error
 * ```
 *
 * A connection offers a second ALPN, plain `lanspread`, that every version
 * keeps: two peers of different versions negotiate it, exchange only the
 * version-independent part of hello, and learn each other's version so that
 * each can list the other as incompatible instead of failing silently.
 *
 * @module
 */
import { z } from "zod";
import { WIRE_ERROR_CODES, type WireErrorCode } from "../common/errors.ts";
import { freeTextError, lineTextError, portableNameError } from "./names.ts";

export { freeTextError, lineTextError };

/** Bumped on every incompatible change of any message below. */
export const PROTOCOL_VERSION = 1;

/** ALPN of this version, and the one every version shares for hello only. */
export function alpnFor(version: number): string {
  return `lanspread/${version}`;
}
export const ALPN_ANY_VERSION = "lanspread";

/** Default UDP port for QUIC (documented in README). */
export const DEFAULT_PORT = 47800;

// ---------------------------------------------------------------------------
// Limits. Every one is enforced before the memory it guards is allocated.
// ---------------------------------------------------------------------------
export const LIMITS = {
  /** Largest JSON header of a frame; a library snapshot of thousands of games fits. */
  maxHeaderBytes: 4 * 1024 * 1024,
  /** Largest payload after a header: a manifest of a very large game. */
  maxPayloadBytes: 64 * 1024 * 1024,
  /** Size of a hashed block. */
  blockSize: 1024 * 1024,
  /** Consecutive blocks in one run of a get-block. */
  maxBlocksPerRun: 16,
  /** Runs in one get-block: small files travel many to a stream. */
  maxRunsPerRequest: 64,
  /**
   * Largest get-block answer; runs that do not fit are left out. Few large
   * streams beat many small ones on QUIC, and this bounds each one's memory.
   */
  maxBlockResponseBytes: 16 * 1024 * 1024,
  /** Incoming bidirectional streams a peer may keep open on one connection. */
  maxStreamsInFlight: 128,
  /** Games in one library snapshot or delta. */
  maxGames: 20_000,
  /** Files in one manifest. */
  maxManifestFiles: 500_000,
  /** Length of a relative path on the wire, in characters. */
  maxPathLength: 1024,
  /** Length of a peer or game display name. */
  maxNameLength: 128,
  /** Length of free-text metadata (description). */
  maxTextLength: 4096,
  /** A QUIC handshake takes milliseconds on a LAN; past this the address is not answering. */
  connectTimeoutMs: 2_000,
  /** A connection must complete hello within this time or it is closed. */
  helloTimeoutMs: 5_000,
  /** A request without an answer within this time fails. */
  requestTimeoutMs: 15_000,
  /** A peer silent for this long is pinged. */
  pingIdleMs: 1_500,
  /** A peer silent for this long is dropped. */
  livenessTimeoutMs: 5_000,
} as const;

/** QUIC application close codes. */
export const CLOSE = {
  normal: 0,
  goodbye: 1,
  duplicate: 2,
  unauthorized: 3,
  versionMismatch: 4,
  protocolViolation: 5,
  timeout: 6,
  shutdown: 7,
} as const;

// ---------------------------------------------------------------------------
// Field schemas.
// ---------------------------------------------------------------------------
/** Peer id: base32 (RFC 4648, lower case) of the first 80 bits of SHA-256(SPKI). */
export const PeerId = z.string().regex(/^[a-z2-7]{16}$/, "not a peer id");
/** Game id = its folder name (DESIGN §3), one that can exist on every system. */
export const GameId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "not a game id")
  .refine((id) => portableNameError(id) === null, "not a game id (not a folder name on Windows)");
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "not a sha-256 hex digest");
export const Addr = z.string().min(3).max(300).regex(
  /^\[?[0-9A-Za-z.:%_-]+\]?:\d{1,5}$/,
  "not host:port",
);
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** One line of printable text, 1 to `max` UTF-16 code units. */
export function lineText(max: number) {
  return z.string().min(1).max(max).superRefine((text, ctx) => {
    const problem = lineTextError(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** A peer's or a game's display name. */
export const DisplayName = lineText(LIMITS.maxNameLength);
/** A game version (`version.ini`), also shown and logged. */
export const Version = lineText(LIMITS.maxNameLength);
/** Free text (a game's description): printable, lines and tabs allowed. */
export const FreeText = z.string().max(LIMITS.maxTextLength).superRefine((text, ctx) => {
  const problem = freeTextError(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const Name = DisplayName;

/** One game as offered to peers (domain: `library`). */
export const WireGame = z.object({
  id: GameId,
  name: Name,
  version: Version,
  size: Count,
  files: Count,
  /** Present once every block is hashed; absent while hashing. */
  manifestHash: Sha256Hex.optional(),
  description: FreeText.optional(),
  genre: lineText(LIMITS.maxNameLength).optional(),
  players: lineText(LIMITS.maxNameLength).optional(),
  /** Relative path of a cover image among the shared files. */
  cover: lineText(LIMITS.maxPathLength).optional(),
  /** The version the offering peer has installed, when it has. */
  installedVersion: Version.optional(),
});
export type WireGame = z.infer<typeof WireGame>;

export const LibrarySnapshot = z.object({
  rev: Count,
  games: z.array(WireGame).max(LIMITS.maxGames),
});
export type LibrarySnapshot = z.infer<typeof LibrarySnapshot>;

export const LibraryDelta = z.object({
  fromRev: Count,
  toRev: Count,
  added: z.array(WireGame).max(LIMITS.maxGames),
  updated: z.array(WireGame).max(LIMITS.maxGames),
  removed: z.array(GameId).max(LIMITS.maxGames),
});
export type LibraryDelta = z.infer<typeof LibraryDelta>;

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

// ---------------------------------------------------------------------------
// Messages. The version-independent part of hello comes first.
// ---------------------------------------------------------------------------
const Proof = z.string().regex(/^[0-9a-f]{64}$/, "not a proof");
const Nonce = z.string().regex(/^[0-9a-f]{32}$/, "not a nonce");

/** Who a peer is: the part of hello every protocol version shares. */
export const PeerInfo = z.object({
  protocolVersion: z.number().int().positive(),
  peerId: PeerId,
  name: Name,
  /** The sender's listener address; a wildcard host means "the address you see me at". */
  addr: Addr,
});
export type PeerInfo = z.infer<typeof PeerInfo>;

/**
 * Version-independent head of hello: the proof (party.ts) covers the version
 * too, so a peer of another version is still proven a party member before it
 * is listed as incompatible.
 */
export const HelloEnvelope = PeerInfo.extend({
  type: z.literal("hello"),
  /** The peer id the client expects to reach, when it knows it. */
  to: PeerId.nullable(),
  nonce: Nonce,
  proof: Proof,
});
export type HelloEnvelope = z.infer<typeof HelloEnvelope>;

export const Hello = HelloEnvelope.extend({ library: LibrarySnapshot });
export type Hello = z.infer<typeof Hello>;

/** Version-independent head of hello-ack. */
export const AckEnvelope = PeerInfo.extend({ type: z.literal("hello-ack"), proof: Proof });
export type AckEnvelope = z.infer<typeof AckEnvelope>;

export const HelloAck = AckEnvelope.extend({ library: LibrarySnapshot });
export type HelloAck = z.infer<typeof HelloAck>;

export const ErrorMessage = z.object({
  type: z.literal("error"),
  code: z.enum(WIRE_ERROR_CODES),
  message: z.string().max(LIMITS.maxTextLength),
  retryAfterMs: Count.optional(),
  /** Set with version-mismatch: the answering peer, with its proof. */
  peer: AckEnvelope.optional(),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** Consecutive blocks of one file; at the end of the file an answer holds fewer. */
export const BlockRun = z.object({
  path: z.string().min(1).max(LIMITS.maxPathLength),
  index: Count,
  count: z.number().int().min(1).max(LIMITS.maxBlocksPerRun),
});
export type BlockRun = z.infer<typeof BlockRun>;

/** Requests a peer may send after hello. */
export const Request = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("goodbye"), reason: z.string().max(LIMITS.maxTextLength) }),
  z.object({ type: z.literal("library-delta"), delta: LibraryDelta }),
  z.object({ type: z.literal("get-library") }),
  z.object({ type: z.literal("get-manifest"), game: GameId }),
  z.object({
    type: z.literal("get-block"),
    game: GameId,
    /** Runs of consecutive blocks, answered in order, as many as fit in one response. */
    runs: z.array(BlockRun).min(1).max(LIMITS.maxRunsPerRequest),
  }),
]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request["type"];

/** Responses, each matched to its request by the stream it arrives on. */
export const Response = z.discriminatedUnion("type", [
  z.object({ type: z.literal("pong") }),
  z.object({ type: z.literal("ok") }),
  z.object({ type: z.literal("library"), library: LibrarySnapshot }),
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

/** A short human-readable description of a zod failure, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
