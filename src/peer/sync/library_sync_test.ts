import { assertEquals } from "../../../tests/assert.ts";
import { EventLog } from "../../common/events.ts";
import { silentLogger } from "../../common/log.ts";
import type { LibrarySnapshot, WireGame } from "../../wire/protocol.ts";
import { LibrarySync } from "./library_sync.ts";
import { newRecord } from "./peer_table.ts";
import type { Session } from "../../wire/session.ts";

const game = (id: string): WireGame => ({ id, name: id, version: "1", size: 1, files: 1 });

/** A peer's session that answers get-library with `theirs` (fake: injects a lost delta). */
function peerWith(theirs: LibrarySnapshot): { session: Session; asked: string[] } {
  const asked: string[] = [];
  const session = {
    request: (request: { type: string }) => {
      asked.push(request.type);
      return Promise.resolve({ message: { type: "library", library: theirs } });
    },
  } as unknown as Session;
  return { session, asked };
}

function recordFor(session: Session, library: LibrarySnapshot) {
  return newRecord(
    {
      kind: "ok",
      peer: { peerId: "aaaaaaaaaaaaaaaa", name: "a", addr: "127.0.0.1:1", protocolVersion: 1 },
      library,
      sent: { rev: 0, games: [] },
    },
    { session, initiator: "local", addr: "127.0.0.1:1", now: 0 },
    undefined,
  );
}

function syncWith(events: EventLog) {
  return new LibrarySync({
    events,
    log: silentLogger,
    library: {
      snapshot: () => ({ rev: 0, games: [] }),
      onChange: () => () => {},
      getManifest: () => Promise.reject(new Error("unused")),
      readBlock: () => Promise.reject(new Error("unused")),
    },
  });
}

Deno.test("a delta that follows our copy is applied; one after a gap fetches a snapshot", async () => {
  const events = new EventLog();
  const sync = syncWith(events);
  const theirs: LibrarySnapshot = { rev: 7, games: [game("a"), game("c")] };
  const { session, asked } = peerWith(theirs);
  const record = recordFor(session, { rev: 4, games: [game("a")] });
  sync.receive(record, { fromRev: 4, toRev: 5, added: [game("b")], updated: [], removed: [] });
  assertEquals(record.library.games.map((g) => g.id), ["a", "b"]);
  assertEquals(asked, []);
  // Revision 6 never arrived: the delta 6 -> 7 cannot be applied.
  sync.receive(record, { fromRev: 6, toRev: 7, added: [game("c")], updated: [], removed: ["b"] });
  await events.waitFor((e) => e.event === "peer-library-changed" && e.data.rev === 7);
  assertEquals(asked, ["get-library"]);
  assertEquals(record.library, theirs);
});

Deno.test("a stale delta is ignored", () => {
  const sync = syncWith(new EventLog());
  const { session, asked } = peerWith({ rev: 9, games: [] });
  const record = recordFor(session, { rev: 5, games: [game("a")] });
  sync.receive(record, { fromRev: 3, toRev: 5, added: [], updated: [], removed: ["a"] });
  assertEquals(record.library.games.map((g) => g.id), ["a"]);
  assertEquals(asked, []);
});
