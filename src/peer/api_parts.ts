/**
 * The narrow parts the user API (api.ts) stands on, cut from the running
 * services by the composition root: a few functions of each, so that the API
 * never holds a service itself and its tests build it from fakes.
 *
 * @module
 */
import type { EventLog } from "../common/events.ts";
import type { Operations } from "../common/operations.ts";
import type { Discovery } from "../mdns/mod.ts";
import type { ApiParts } from "./api.ts";
import { Covers } from "./cover.ts";
import type { DownloadManager } from "./download/manager.ts";
import type { Installs } from "./install/mod.ts";
import type { Library } from "./library/mod.ts";
import type { Dialer } from "./sync/dialer.ts";
import type { PeerManager } from "./sync/manager.ts";

/** The running services the API is cut from. */
export interface ApiServices {
  status: ApiParts["status"];
  events: EventLog;
  /** Aborted when the peer starts shutting down. */
  stopping: AbortSignal;
  manager: PeerManager;
  dialer: Dialer;
  /** mDNS discovery, when on. */
  discovery: () => Discovery | null;
  library: Library;
  operations: Operations;
  installs: Installs;
  downloads: DownloadManager;
  settings: ApiParts["settings"];
}

/** The API's parts from the services. */
export function apiParts(s: ApiServices): ApiParts {
  return {
    status: () => s.status(),
    events: s.events,
    stopping: s.stopping,
    peers: {
      list: () => s.manager.peers(),
      libraries: () =>
        s.manager.connected().map((r) => ({
          peerId: r.peerId,
          name: r.name,
          games: r.library.games,
        })),
      connect: (target, signal) => s.manager.connect(target, null, signal),
    },
    dialer: {
      keep: (target, peerId) => s.dialer.add(target, peerId),
      discovered: () => s.dialer.discovered(),
    },
    heard: () => s.discovery()?.peers() ?? [],
    library: {
      games: () => s.library.games(),
      files: (game) => s.library.files(game),
      setGamesDir: (path) => s.library.setGamesDir(path),
    },
    operations: {
      current: (game) => s.operations.current(game),
      running: () => s.operations.running(),
    },
    installs: {
      install: (game) => s.installs.install(game),
      uninstall: (game) => s.installs.uninstall(game),
      remove: (game) => s.installs.remove(game),
      play: (game, options) => s.installs.play(game, options),
      commands: (game) => s.installs.commands(game),
      progress: (game) => s.installs.progress(game),
    },
    downloads: {
      views: () => s.downloads.views(),
      start: (game, options) => s.downloads.start(game, options),
      cancel: (game) => s.downloads.cancel(game),
    },
    covers: coversOf(s),
    settings: s.settings,
  };
}

/** Cover images for the page: from our folder, else from a peer offering the game. */
function coversOf(s: ApiServices): Covers {
  return new Covers({
    local: (game) => {
      const own = s.library.games().find((g) => g.id === game && g.downloaded);
      return own?.cover ? { gamesDir: s.library.gamesDir, path: own.cover } : null;
    },
    remote: (game) =>
      s.manager.connected().flatMap((r) => {
        const offer = r.library.games.find((g) => g.id === game);
        const session = s.manager.session(r.peerId);
        if (!offer?.cover || !session) return [];
        return [{ peerId: r.peerId, version: offer.version, session, path: offer.cover }];
      }),
  });
}
