/**
 * A {@linkcode PeerApi} over fakes for the HTTP tests and the HTTP bench:
 * two peers offering a few games, one of ours downloaded, and a record of
 * every call the routes made. api_test.ts builds its own smaller fake from
 * the same parts (`fakeInstalls`, `fakeSettings`).
 *
 * @module
 */
import { EventLog } from "../common/events.ts";
import { CommandError } from "../common/errors.ts";
import { type ApiParts, PeerApi } from "./api.ts";
import type { LocalGame } from "./library/mod.ts";
import type { PeerView } from "./sync/peer_table.ts";
import type { WireGame } from "../wire/library_schemas.ts";
import type { DownloadView, Settings } from "./views.ts";

export function wireGame(id: string, version: string, extra: Partial<WireGame> = {}): WireGame {
  return { id, name: id, version, size: 1_000_000, files: 1, ...extra };
}

export function localGame(id: string, version: string | null): LocalGame {
  return {
    id,
    name: id,
    version,
    size: 5_000,
    files: 1,
    downloaded: version !== null,
    installed: false,
    installedVersion: null,
    hashing: false,
  };
}

export function downloadView(game: string, done = 500_000): DownloadView {
  return {
    game,
    version: "2",
    phase: "downloading",
    doneBytes: done,
    totalBytes: 1_000_000,
    bytesPerSecond: 250_000,
    etaSeconds: 2,
    sources: [{
      peerId: "aaaaaaaaaaaaaaaa",
      name: "",
      bytesPerSecond: 250_000,
      bytes: done,
      share: 1,
    }],
    dropped: [],
    history: [100_000, 200_000, 250_000],
    install: false,
    waiting: null,
  };
}

/** Installs that succeed at once: every game playable, none with a server. */
export function fakeInstalls(): ApiParts["installs"] {
  return {
    install: (game) => Promise.resolve({ game, version: "1", files: 1, bytes: 1 }),
    uninstall: (game) => Promise.resolve({ game }),
    remove: (game) => Promise.resolve({ game }),
    play: (game) => Promise.resolve({ game, pid: 1 }),
    commands: () => ({ playable: true, hasServer: false }),
    progress: () => null,
  };
}

/** The settings of a fresh peer named "me". */
export function fakeSettings(): Settings {
  return {
    name: "me",
    playerName: "me",
    language: "english",
    uploadLimit: null,
    downloadLimit: null,
    uploadsPerPeer: 8,
  };
}

export interface FakeOptions {
  /** Games each peer offers. */
  libraries?: { peerId: string; name: string; games: WireGame[] }[];
  local?: LocalGame[];
  downloads?: DownloadView[];
  events?: EventLog;
  over?: Partial<ApiParts>;
}

/** An API over fakes; `calls` lists what the routes asked for. */
export function fakeApi(options: FakeOptions = {}) {
  const events = options.events ?? new EventLog();
  const stop = new AbortController();
  const calls: string[] = [];
  const libraries = options.libraries ?? [
    {
      peerId: "aaaaaaaaaaaaaaaa",
      name: "Alice",
      games: [wireGame("Doom", "2", { installedVersion: "2", genre: "Shooter" })],
    },
    {
      peerId: "bbbbbbbbbbbbbbbb",
      name: "Bob",
      games: [wireGame("Doom", "1"), wireGame("Quake", "1")],
    },
  ];
  const peers: PeerView[] = libraries.map((l) => ({
    peerId: l.peerId,
    name: l.name,
    addr: "127.0.0.1:47800",
    state: "connected",
    protocolVersion: 1,
    rev: 1,
    games: l.games.map((g) => g.id),
    bytesSent: 2_048,
    bytesReceived: 1_048_576,
    rttMs: 0.4,
  }));
  let settings = fakeSettings();
  let gamesDir = "/games";
  const downloads = options.downloads ?? [];
  const parts: ApiParts = {
    status: () => ({
      peerId: "cccccccccccccccc",
      name: "me",
      gamesDir,
      protocolVersion: 1,
      party: "ab12cd34",
      services: { transport: { state: "running", lastError: null, restarts: 0 } },
    }),
    events,
    stopping: stop.signal,
    peers: {
      list: () => peers,
      libraries: () => libraries,
      connect: (target) => {
        calls.push(`connect ${target.hostname}:${target.port}`);
        return Promise.resolve(peers[0]!);
      },
    },
    dialer: { keep: () => {}, discovered: () => [] },
    heard: () => [],
    library: {
      games: () => options.local ?? [localGame("Doom", "1")],
      files: () => [{ path: "doom.wad", size: 5_000 }],
      setGamesDir: (path) => {
        calls.push(`games-dir ${path}`);
        gamesDir = path;
        return Promise.resolve();
      },
    },
    operations: {
      current: (g) => downloads.some((d) => d.game === g) ? "download" : null,
      running: () => downloads.map((d) => ({ game: d.game, operation: "download" as const })),
    },
    installs: fakeInstalls(),
    downloads: {
      views: () => downloads,
      start: async (game, o) => {
        await Promise.resolve();
        if (!game) throw new CommandError("bad-request", "not a game id: ");
        calls.push(`download ${game} install=${o.install}`);
        if (game === "Nope") {
          throw new CommandError("not-found", `no connected peer offers ${game}`);
        }
        return { sources: ["aaaaaaaaaaaaaaaa"], version: "2" };
      },
      cancel: (game) => {
        calls.push(`cancel ${game}`);
        return Promise.resolve();
      },
    },
    settings: {
      get: () => settings,
      update: (patch) => {
        calls.push(`settings ${JSON.stringify(patch)}`);
        settings = { ...settings, ...patch };
        return Promise.resolve(settings);
      },
    },
    ...options.over,
  };
  return { api: new PeerApi(parts), events, stop, calls };
}
