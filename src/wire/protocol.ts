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
 * library-changed  -> ok                          (a delta too large to send: fetch pages)
 * get-library      -> library | error not-found   (one page; not-found: that revision is gone)
 * get-manifest     -> manifest + payload (canonical manifest JSON) | error busy
 * get-block        -> block + payload (the runs' blocks back to back) | error
 * report-bad-block -> ok | error                  (a block failed verification: re-check it)
 * ```
 *
 * Libraries travel in pages ({@linkcode LibraryPage}): hello and hello-ack
 * carry the first page of the sender's snapshot with its revision and game
 * count; the receiver asks for the rest with `get-library {rev, offset}`,
 * served from that same snapshot however the library moved since (a
 * revision no longer held answers not-found, and the fetch starts again).
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
export const PROTOCOL_VERSION = 2;

/** ALPN of this version, and the one every version shares for hello only. */
export function alpnFor(version: number): string {
  return `lanspread/${version}`;
}
export const ALPN_ANY_VERSION = "lanspread";

/** Default UDP port for QUIC (documented in README). */
export const DEFAULT_PORT = 47800;

// ---------------------------------------------------------------------------
// Limits. Every one is enforced before the memory it guards is allocated, and
// together they fit: every frame a peer writes is under maxHeaderBytes by
// construction, never by luck.
//
// - A game entry (WireGame) as JSON is at most maxGameEntryBytes: its text
//   fields hold at most 128 * 5 + 4096 + 1024 (cover path) = 5760 UTF-16
//   code units, each at most 3 bytes of UTF-8 in JSON (no control characters
//   but \n and \t, which take 2; no lone surrogates, which would take 6; a
//   pair is 4 bytes for 2 units), so 17,280 bytes, plus the id (64), the
//   manifest hash (64), two numbers (32) and keys and quotes (under 300).
// - A library page holds games up to maxPageBytes, and at least one game:
//   maxGameEntryBytes <= maxPageBytes, so every page makes progress. hello
//   is a page plus peer info, nonce and proof (under 2 KiB): under
//   maxHeaderBytes with room to spare. A library of maxGames worst-case games
//   is about 360 pages.
// - A delta over maxDeltaBytes is not sent: library-changed makes the peer
//   fetch pages instead, so a delta frame is also under maxHeaderBytes.
// - A get-block request: 64 runs of a path of 1024 units (3 KiB) is about
//   200 KiB. An error message is at most maxTextLength units (12 KiB).
// - A manifest travels as a payload (maxPayloadBytes): about 67 bytes per
//   block plus the path, so ~900,000 blocks (~900 GiB at 1 MiB) of a game
//   with short paths. A game whose manifest is larger is not offered, with
//   a warning naming this limit (library/served.ts).
// ---------------------------------------------------------------------------
export const LIMITS = {
  /** Largest JSON header of a frame (see above for what fits in it). */
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
  /** Games in one library; past it, the first (by id) are offered and both sides say so. */
  maxGames: 20_000,
  /** Largest game entry as JSON, by the field limits below (see above). */
  maxGameEntryBytes: 18 * 1024,
  /** Games of one library page, as JSON (hello, hello-ack, library). */
  maxPageBytes: 1024 * 1024,
  /** Largest library-delta sent; a larger change is announced with library-changed. */
  maxDeltaBytes: 1024 * 1024,
  /** Times a library fetch starts again because the revision moved under it. */
  maxFetchRestarts: 3,
  /** Files in one manifest. */
  maxManifestFiles: 500_000,
  /** Length of a relative path on the wire, in characters. */
  maxPathLength: 1024,
  /** Length of a peer or game display name. */
  maxNameLength: 128,
  /** Length of free-text metadata (description). */
  maxTextLength: 4096,
  /** One peer has one file re-checked at most once in this time (it cannot make us read forever). */
  badBlockRecheckMs: 60_000,
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
/** Game id = its folder name (README "Where data lives"), one that can exist on every system. */
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

/**
 * One page of a library snapshot: `games` are the snapshot's games from
 * `offset` on (sorted by id), as many as fit in LIMITS.maxPageBytes; `total`
 * counts the whole snapshot. Each game is checked on its own
 * ({@linkcode validGames}): one a peer's rules refuse is skipped, not the page.
 */
export const LibraryPage = z.object({
  rev: Count,
  total: Count,
  offset: Count,
  games: z.array(z.unknown()).max(LIMITS.maxGames),
});
export type LibraryPage = Omit<z.infer<typeof LibraryPage>, "games"> & { games: WireGame[] };
/** A page as received, its games not yet checked. */
export type RawLibraryPage = z.infer<typeof LibraryPage>;

/** The games of a received page that pass the schema, and why the first refused one failed. */
export function validGames(raw: readonly unknown[]): { games: WireGame[]; refused: string[] } {
  const games: WireGame[] = [];
  const refused: string[] = [];
  for (const [i, item] of raw.entries()) {
    const parsed = WireGame.safeParse(item);
    if (parsed.success) games.push(parsed.data);
    else refused.push(`game ${i}: ${describeIssues(parsed.error)}`);
  }
  return { games, refused };
}

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

export const Hello = HelloEnvelope.extend({ library: LibraryPage });
export type Hello = z.infer<typeof Hello>;

/** Version-independent head of hello-ack. */
export const AckEnvelope = PeerInfo.extend({ type: z.literal("hello-ack"), proof: Proof });
export type AckEnvelope = z.infer<typeof AckEnvelope>;

export const HelloAck = AckEnvelope.extend({ library: LibraryPage });
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

/** A short human-readable description of a zod failure, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
