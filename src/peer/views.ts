/**
 * The shapes the user-facing API returns (harness records, HTTP JSON, the
 * page). One definition each, so the JSONL harness and the HTTP API can
 * never describe a game, a peer or a download differently.
 *
 * @module
 */
import type { PeerState } from "./sync/peer_table.ts";
import type { DownloadPhase, DownloadView } from "./download/view.ts";

export type { DownloadPhase, DownloadSource, DownloadView } from "./download/view.ts";

import type { Operation } from "../common/operations.ts";
import type { Started } from "./install/mod.ts";

export type { Operation, Started };

/** The phase a page shows for a game that is busy. */
export type Phase = DownloadPhase | "installing" | "uninstalling" | "removing";

/** One row of `list-games` / `GET games`. */
export interface GameRow {
  id: string;
  name: string;
  /** Our downloaded version, or null. */
  version: string | null;
  /** Our installed version (install record), or null. */
  installedVersion: string | null;
  /** Our size when downloaded, else the size of the newest version offered. */
  size: number;
  downloaded: boolean;
  installed: boolean;
  /** Connected peers offering the game, any version. */
  peerCount: number;
  /** Connected peers that have it installed (from their snapshots). */
  installedCount: number;
  /** Newest version among ours and the peers'. */
  latestVersion: string | null;
  /** Peers offering `latestVersion`: the download sources. */
  sources: string[];
  /** A download of this game is under way. */
  downloading: boolean;
  /** The operation running on it, or null. */
  operation: Operation | null;
  description?: string;
  genre?: string;
  players?: string;
  /** Relative path of the cover image among the game's files (served by GET games/:id/cover). */
  cover?: string;
  /** The game has a start command (`game.json` start, or a start script under `local/`). */
  playable?: boolean;
  /** The game has a server start command. */
  hasServer?: boolean;
  /** While it installs or updates: how far the extraction is. */
  install?: InstallView;
}

/** An install's progress (the last `install-progress`). */
export interface InstallView {
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  /** The archive being extracted. */
  archive: string;
}

/** One peer's offer of a game (game detail). */
export interface GameOffer {
  peerId: string;
  name: string;
  version: string;
  installedVersion: string | null;
  size: number;
}

/** `GET games/:id`: a row plus files, offers and what a removal would delete. */
export interface GameDetail extends GameRow {
  /** Shared files of our downloaded version (path, size), sorted; empty when not downloaded. */
  files: { path: string; size: number }[];
  offers: GameOffer[];
  /** The active download, if any. */
  download: DownloadView | null;
}

/** `list-peers` / `GET peers`. */
export interface PeerRow {
  peerId: string;
  name: string;
  /** Listener address "host:port". */
  addr: string;
  state: PeerState;
  protocolVersion: number;
  /** Our protocol version, so an incompatible row names both. */
  ourProtocolVersion: number;
  rev: number;
  /** Ids of the games the peer offers. */
  games: string[];
  /** Bytes sent to / received from the peer on the current connection. */
  bytesSent: number;
  bytesReceived: number;
  /** Smoothed round-trip time of pings, ms, or null before the first. */
  rttMs: number | null;
}

/** Settings a user may change at run time (`settings`, `PATCH settings`); persisted in the state dir. */
export interface Settings {
  /** Name shown to other peers. */
  name: string;
  /** Player name written into a game's config at its first play. */
  playerName: string;
  /** Language written into a game's config at its first play (e.g. "english"). */
  language: string;
  /** MB/s, null = no cap. */
  uploadLimit: number | null;
  /** MB/s, null = no cap. */
  downloadLimit: number | null;
  uploadsPerPeer: number;
}
