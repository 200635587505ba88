/**
 * Where a download goes: the target chosen from a version's offers (the
 * manifest vote, its rejected sources named, staged blocks carried over
 * from the version before, the records saved before the first block), and
 * the offers a running download should move to. Apart from manager.ts,
 * which keeps the downloads, their claims and their events.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import { compareVersions } from "../library/mod.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { chooseManifest, latestOffers, type Offer, type PeerSource } from "./sources.ts";
import { bitsOf, type DownloadTarget, saveManifest, saveProgress } from "./resume_state.ts";
import { carryOver } from "./carry.ts";
import type { DownloadOutcome } from "./_outcome.ts";

/** Options for {@linkcode chooseTarget}. */
export interface TargetOptions {
  peers: PeerSource;
  events: EventLog;
  stateDir: string;
  game: string;
  /** The newest version offered, with its offers. */
  latest: { version: string; offers: Offer[] };
  install: boolean;
  /** The target this one follows (its staged blocks are carried over), or null. */
  previous: DownloadTarget | null;
  /** Aborted by a cancel or shutdown while the manifests are fetched. */
  signal: AbortSignal;
}

/** What {@linkcode chooseTarget} found. */
export type TargetChoice =
  | { kind: "target"; target: DownloadTarget }
  | { kind: "failed"; outcome: DownloadOutcome }
  | { kind: "aborted" };

/** Chooses the manifest of `latest` and saves the records a download starts from. */
export async function chooseTarget(o: TargetOptions): Promise<TargetChoice> {
  const { peers, game, signal, previous } = o;
  const { version, offers } = o.latest;
  const chosen = await chooseManifest({ peers, game, version, offers, signal })
    .catch((error) => {
      if (signal.aborted) return null;
      throw error;
    });
  if (!chosen) return { kind: "aborted" };
  for (const r of chosen.rejected) {
    o.events.emit("download-source-dropped", { game, peerId: r.peerId, reason: r.reason });
  }
  if (chosen.kind !== "chosen") return { kind: "failed", outcome: failure(chosen) };
  const target: DownloadTarget = {
    game,
    version,
    manifestHash: chosen.hash,
    manifest: chosen.manifest,
    install: o.install,
    verified: new Set(),
    unconfirmed: previous ? carryOver(previous, chosen.manifest) : new Set(),
    stamps: new Map(),
  };
  await saveManifest(o.stateDir, game, chosen.bytes);
  const blocks = countBlocks(target.manifest);
  await saveProgress(o.stateDir, {
    ...target,
    verified: bitsOf(blocks, []),
    unconfirmed: bitsOf(blocks, target.unconfirmed),
  });
  return { kind: "target", target };
}

/**
 * The offers a download of `target` should move to: peers offer a newer
 * version, or another copy of its version while nobody offers its own.
 */
export function newerThan(
  target: DownloadTarget,
  peers: PeerSource,
): { version: string; offers: Offer[] } | null {
  const offers = peers.offers(target.game);
  if (offers.some((o) => o.manifestHash === target.manifestHash)) return null;
  const latest = latestOffers(offers);
  if (!latest) return null;
  const order = compareVersions(latest.version, target.version);
  if (order > 0) return latest;
  const hashed = latest.offers.some((o) => o.manifestHash !== undefined);
  return order === 0 && hashed ? latest : null;
}

function countBlocks(manifest: Manifest): number {
  return manifest.files.reduce((n, f) => n + f.blocks.length, 0);
}

/** The failed outcome of a manifest vote that chose nothing. */
function failure(
  result: Exclude<Awaited<ReturnType<typeof chooseManifest>>, { kind: "chosen" }>,
): DownloadOutcome {
  if (result.kind === "conflict") {
    const sides = result.groups.map((g) => `${g.hash.slice(0, 12)} from ${g.peers.join(", ")}`);
    return {
      kind: "failed",
      code: "conflict",
      message: `peers offer different contents under one version and no majority decides: ${
        sides.join(" vs ")
      }`,
    };
  }
  const why = result.rejected.map((r) => r.reason).join("; ") || "no manifest";
  return { kind: "failed", code: "bad-manifest", message: why };
}
