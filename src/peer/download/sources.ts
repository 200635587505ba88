/**
 * Who a game can come from. Sources are the connected peers that offer the
 * game at the highest version (README "Where data lives"). Their manifests are fetched and
 * checked; the manifest most of them agree on is the target, and a peer
 * whose manifest differs (or does not parse) is not used.
 *
 * @module
 */
import { delay } from "../../common/async.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { compareVersions, parseManifest } from "../library/mod.ts";
import type { Session } from "../../wire/session.ts";

/** What downloads need of a session: requests, and answers streamed as they arrive. */
export type Requester = Pick<Session, "request" | "stream">;

/** A connected peer's offer of a game. */
export interface Offer {
  peerId: string;
  version: string;
  /** Present once the peer has hashed the game. */
  manifestHash?: string;
}

/** What downloads need of the peer layer. */
export interface PeerSource {
  /** Offers of `game` by connected, compatible peers. */
  offers(game: string): Offer[];
  session(peerId: string): Requester | null;
  /** Called on any change of peers or their libraries; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The offers at the highest version, or null when nobody offers the game. */
export function latestOffers(offers: Offer[]): { version: string; offers: Offer[] } | null {
  if (!offers.length) return null;
  const version = offers.map((o) => o.version).reduce((a, b) => compareVersions(a, b) >= 0 ? a : b);
  return { version, offers: offers.filter((o) => o.version === version) };
}

export interface ChosenManifest {
  kind: "chosen";
  hash: string;
  bytes: Uint8Array;
  manifest: Manifest;
  /** Peers whose manifest is the chosen one. */
  agree: string[];
  /** Peers not used, and why. */
  rejected: { peerId: string; reason: string }[];
}

/** Why no manifest was chosen. */
export type NoManifest =
  /** No peer sent a valid manifest. */
  | { kind: "none"; rejected: { peerId: string; reason: string }[] }
  /** Valid manifests differ and none has more peers behind it than another. */
  | {
    kind: "conflict";
    groups: { hash: string; peers: string[] }[];
    rejected: { peerId: string; reason: string }[];
  };

type Fetched = { peerId: string; hash: string; bytes: Uint8Array; manifest: Manifest };

/** Fetches one peer's manifest, waiting out `busy` (still hashing) until `deadline`. */
async function fetchManifest(
  peers: PeerSource,
  offer: Offer,
  want: { game: string; version: string; deadline: number; signal: AbortSignal },
): Promise<Fetched | { peerId: string; reason: string }> {
  const { game, version, signal } = want;
  const peerId = offer.peerId;
  for (;;) {
    const session = peers.session(peerId);
    if (!session) return { peerId, reason: "left before sending its manifest" };
    let reply;
    try {
      reply = await session.request({ type: "get-manifest", game }, { signal });
    } catch (error) {
      signal.throwIfAborted();
      return { peerId, reason: `manifest request failed: ${errorMessage(error)}` };
    }
    const m = reply.message;
    if (m.type === "error" && m.code === "busy" && Date.now() < want.deadline) {
      await delay(Math.min(m.retryAfterMs ?? 500, 5_000), { signal });
      continue;
    }
    if (m.type !== "manifest") {
      return { peerId, reason: `no manifest: ${m.type === "error" ? m.message : m.type}` };
    }
    const parsed = parseManifest(reply.payload ?? new Uint8Array(0), m.hash, { game, version });
    if (!parsed.ok) return { peerId, reason: `invalid manifest: ${parsed.reason}` };
    return { peerId, hash: m.hash, bytes: reply.payload!, manifest: parsed.manifest };
  }
}

/** Options for {@linkcode chooseManifest}. */
export interface ChooseOptions {
  peers: PeerSource;
  game: string;
  version: string;
  /** The offers of that version. */
  offers: Offer[];
  signal: AbortSignal;
  /** How long a peer still hashing the game is waited for. @default {60_000} */
  waitMs?: number;
}

/**
 * Fetches every offer's manifest and picks the one most peers agree on. The
 * peers behind a smaller group are named as rejected. When the largest
 * groups tie (one peer against one, two against two), nobody can tell
 * which copy is the real one: the answer is a conflict, and nothing is
 * downloaded, so that two players never end up with different "version 1"s.
 */
export async function chooseManifest(o: ChooseOptions): Promise<ChosenManifest | NoManifest> {
  const want = {
    game: o.game,
    version: o.version,
    deadline: Date.now() + (o.waitMs ?? 60_000),
    signal: o.signal,
  };
  const results = await Promise.all(o.offers.map((offer) => fetchManifest(o.peers, offer, want)));
  const valid = results.filter((r): r is Fetched => "hash" in r);
  const rejected = results.filter((r): r is { peerId: string; reason: string } => "reason" in r);
  const votes = new Map<string, Fetched[]>();
  for (const r of valid) votes.set(r.hash, [...(votes.get(r.hash) ?? []), r]);
  const ranked = [...votes.entries()].sort((a, b) =>
    b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1)
  );
  const winner = ranked[0];
  if (!winner) return { kind: "none", rejected };
  const runnerUp = ranked[1];
  if (runnerUp && runnerUp[1].length === winner[1].length) {
    const groups = ranked.map(([hash, group]) => ({ hash, peers: group.map((r) => r.peerId) }));
    return { kind: "conflict", groups, rejected };
  }
  for (const [hash, group] of ranked.slice(1)) {
    for (const r of group) {
      rejected.push({
        peerId: r.peerId,
        reason: `manifest ${hash.slice(0, 12)} differs from the majority's ${
          winner[0].slice(0, 12)
        }`,
      });
    }
  }
  const first = winner[1][0]!;
  return {
    kind: "chosen",
    hash: winner[0],
    bytes: first.bytes,
    manifest: first.manifest,
    agree: winner[1].map((r) => r.peerId),
    rejected,
  };
}
