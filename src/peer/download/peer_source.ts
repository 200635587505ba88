/**
 * The peer layer as downloads see it: who offers a game, the session to ask
 * them on, and a signal whenever peers or their libraries change.
 *
 * @module
 */
import type { EventLog } from "../../common/events.ts";
import type { PeerManager } from "../sync/manager.ts";
import type { PeerSource } from "./sources.ts";

const PEER_EVENTS = new Set(["peer-connected", "peer-lost", "peer-library-changed"]);

export function peerSourceOf(manager: PeerManager, events: EventLog): PeerSource {
  return {
    offers: (game) =>
      manager.connected().flatMap((record) => {
        const offer = record.library.games.find((g) => g.id === game);
        if (!offer) return [];
        const { version, manifestHash } = offer;
        return [{ peerId: record.peerId, version, ...(manifestHash ? { manifestHash } : {}) }];
      }),
    session: (peerId) => manager.session(peerId),
    onChange: (listener) =>
      events.subscribe((event) => {
        if (PEER_EVENTS.has(event.event)) listener();
      }),
  };
}
