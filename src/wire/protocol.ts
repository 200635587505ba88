/**
 * The lanspread wire protocol: version, limits, close codes and the field
 * schemas every message is built from. The messages themselves are defined
 * by sub-protocol: hello in handshake_schemas.ts, library sync in
 * library_schemas.ts, downloads in download_schemas.ts, and the request and
 * response unions in messages.ts. Nothing else in the code base defines
 * wire shapes.
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
 * Libraries travel in pages (`LibraryPage`, library_schemas.ts): hello and
 * hello-ack carry the first page of the sender's snapshot with its revision
 * and game count; the receiver asks for the rest with `get-library {rev, offset}`,
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
import { freeTextError, lineTextError, portableNameError } from "./names.ts";

export { freeTextError, lineTextError };

/** Bumped on every incompatible change of any message (see above). */
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
export const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

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

/** A short human-readable description of a zod failure, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
