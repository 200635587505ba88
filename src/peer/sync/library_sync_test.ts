import { assert, assertEquals, assertMatch } from "../../../tests/assert.ts";
import { EventLog } from "../../common/events.ts";
import { createLogger, silentLogger } from "../../common/log.ts";
import type { Request, Response } from "../../wire/messages.ts";
import type { LibraryDelta, LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { LibrarySync, type LibrarySyncOptions } from "./library_sync.ts";
import { newRecord, type PeerRecord } from "./peer_table.ts";
import { pageOf } from "./pages.ts";
import type { LibraryPort } from "./serve.ts";
import type { Session } from "../../wire/session.ts";

const game = (id: string, extra: Partial<WireGame> = {}): WireGame => ({
  id,
  name: id,
  version: "1",
  size: 1,
  files: 1,
  ...extra,
});
const games = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => game(`g${String(from + i).padStart(4, "0")}`));
/** Pages of about three games, so that small libraries take several. */
const PAGE_BYTES = 200;

function port(current: () => LibrarySnapshot): LibraryPort {
  return {
    snapshot: current,
    onChange: () => () => {},
    getManifest: () => Promise.reject(new Error("unused")),
    openRun: () => ({ ok: false, code: "not-found", message: "unused" }),
    reportBadBlock: () => ({ ok: true }),
  };
}

function recordFor(session: Session | null, sent: LibrarySnapshot = { rev: 0, games: [] }) {
  return newRecord(
    {
      kind: "ok",
      peer: { peerId: "aaaaaaaaaaaaaaaa", name: "a", addr: "127.0.0.1:1", protocolVersion: 2 },
      page: pageOf(sent, 0),
      sent,
    },
    { session: session ?? ({} as Session), initiator: "local", addr: "127.0.0.1:1", now: 0 },
    undefined,
  );
}

/**
 * A remote peer whose library is `remote.current`: its get-library answers
 * come from a real LibrarySync (the serving side), over a fake session that
 * records every request and can be told to answer otherwise.
 */
function remotePeer(first: LibrarySnapshot) {
  const remote = { current: first };
  const server = new LibrarySync({
    library: port(() => remote.current),
    events: new EventLog(),
    log: silentLogger,
    pageBytes: PAGE_BYTES,
  });
  const theirRecord = recordFor(null, first);
  const asked: Request[] = [];
  let intercept: ((r: Request) => Response | undefined) | null = null;
  const session = {
    closed: new Promise(() => {}),
    request: (request: Request) => {
      asked.push(request);
      const own = intercept?.(request);
      if (own) return Promise.resolve({ message: own });
      if (request.type !== "get-library") return Promise.resolve({ message: { type: "ok" } });
      const reply = server.page(theirRecord, request.rev, request.offset);
      return Promise.resolve({ message: reply.message });
    },
  } as unknown as Session;
  return {
    remote,
    asked,
    session,
    first: pageOf(first, 0, PAGE_BYTES),
    intercept: (f: (r: Request) => Response | undefined) => (intercept = f),
  };
}

function local(events = new EventLog(), extra: Partial<LibrarySyncOptions> = {}) {
  const logs: string[] = [];
  const sync = new LibrarySync({
    events,
    log: createLogger({ level: "debug", sink: (l) => logs.push(l) }),
    library: port(() => ({ rev: 0, games: [] })),
    retryMs: 1,
    ...extra,
  });
  return { sync, events, logs };
}

const ids = (record: PeerRecord) => record.library.games.map((g) => g.id);

/** Resolves once no fetch of `record`'s library runs. */
async function fetched(record: PeerRecord): Promise<void> {
  while (record.fetching) await record.fetching;
}

Deno.test("a first page that is the whole library is taken as is, without a request", () => {
  const { sync } = local();
  const peer = remotePeer({ rev: 3, games: games(2) });
  const record = recordFor(peer.session);
  sync.welcome(record, peer.first);
  assertEquals(record.library, { rev: 3, games: games(2) });
  assertEquals(peer.asked, []);
});

Deno.test("a library larger than a page is fetched page by page from the snapshot hello sent", async () => {
  const { sync, events } = local();
  const peer = remotePeer({ rev: 5, games: games(20) });
  const record = recordFor(peer.session);
  sync.welcome(record, peer.first);
  // The library moves on while we fetch: the pages still come from revision 5.
  peer.remote.current = { rev: 6, games: games(3) };
  await fetched(record);
  assertEquals(record.library, { rev: 5, games: games(20) });
  assert(peer.asked.length >= 5, JSON.stringify(peer.asked));
  assert(peer.asked.every((r) => r.type === "get-library" && r.rev === 5));
  assert(events.since(0).some((e) => e.event === "peer-library-changed" && e.data.rev === 5));
});

Deno.test("a revision the peer no longer holds restarts the fetch, a bounded number of times", async () => {
  const { sync, logs } = local();
  const peer = remotePeer({ rev: 1, games: games(12) });
  const record = recordFor(peer.session);
  let rev = 1;
  // Every first page is of a newer revision, and every later page finds it gone.
  peer.intercept((r) => {
    if (r.type !== "get-library") return undefined;
    if (r.rev !== undefined) return { type: "error", code: "not-found", message: "gone" };
    return { type: "library", library: pageOf({ rev: ++rev, games: games(12) }, 0, PAGE_BYTES) };
  });
  await sync.refresh(record);
  assertEquals(record.library.rev, 0, "nothing half-fetched is installed");
  assert(logs.some((l) => /changed during 4 fetches in a row; giving up/.test(l)), logs.join("\n"));
  // Once the peer holds still, the next fetch succeeds from the start.
  peer.intercept(() => undefined);
  peer.remote.current = { rev: 9, games: games(12) };
  await sync.refresh(record);
  assertEquals(record.library, { rev: 9, games: games(12) });
});

Deno.test("deltas that arrive during a fetch are applied after it", async () => {
  const { sync } = local();
  const peer = remotePeer({ rev: 4, games: games(10) });
  const record = recordFor(peer.session);
  sync.welcome(record, peer.first);
  const delta: LibraryDelta = {
    fromRev: 4,
    toRev: 5,
    added: [game("zz")],
    updated: [],
    removed: [],
  };
  sync.receive(record, delta);
  await fetched(record);
  assertEquals(record.library.rev, 5);
  assertEquals(ids(record), [...games(10).map((g) => g.id), "zz"]);
});

Deno.test("a delta that follows our copy is applied; one after a gap fetches the library", async () => {
  const { sync } = local();
  const peer = remotePeer({ rev: 4, games: [game("a")] });
  const record = recordFor(peer.session);
  sync.welcome(record, peer.first);
  sync.receive(record, { fromRev: 4, toRev: 5, added: [game("b")], updated: [], removed: [] });
  assertEquals(ids(record), ["a", "b"]);
  assertEquals(peer.asked, []);
  // Revision 6 never arrived: the delta 6 -> 7 cannot be applied.
  peer.remote.current = { rev: 7, games: [game("a"), game("c")] };
  sync.receive(record, { fromRev: 6, toRev: 7, added: [game("c")], updated: [], removed: ["b"] });
  await sync.refresh(record);
  assertEquals(peer.asked[0], { type: "get-library", offset: 0 });
  assertEquals(record.library, peer.remote.current);
  // A stale delta changes nothing.
  sync.receive(record, { fromRev: 3, toRev: 5, added: [], updated: [], removed: ["a"] });
  assertEquals(ids(record), ["a", "c"]);
});

Deno.test("more games than the limit: the first are kept, and the peer's note says why", async () => {
  const { sync, logs } = local(new EventLog(), { maxGames: 7 });
  const peer = remotePeer({ rev: 2, games: games(12) });
  const record = recordFor(peer.session);
  sync.welcome(record, peer.first);
  await fetched(record);
  assertEquals(ids(record), games(7).map((g) => g.id));
  assertEquals(record.libraryNote, "offers 12 games; only the first 7 are kept");
  assertEquals(logs.filter((l) => l.includes("only the first 7")).length, 1);
});

Deno.test("a game the schema refuses is skipped; the rest of its page is kept", () => {
  const { sync, logs } = local();
  const record = recordFor(null);
  const bad = { ...game("b"), name: "evil\x1b[2J" };
  sync.welcome(record, { rev: 1, total: 3, offset: 0, games: [game("a"), bad, game("c")] });
  assertEquals(ids(record), ["a", "c"]);
  assertMatch(
    record.libraryNote!,
    /^1 games refused \(game 1: name: contains a control character\)/,
  );
  assert(logs.some((l) => l.includes("games refused")));
});

Deno.test("pushing: a delta when it fits, library-changed when it is too large or refused", async () => {
  let current: LibrarySnapshot = { rev: 1, games: games(2) };
  const logs: string[] = [];
  const sync = new LibrarySync({
    events: new EventLog(),
    log: createLogger({ level: "debug", sink: (l) => logs.push(l) }),
    library: port(() => current),
    deltaBytes: 400,
  });
  const sent: Request[] = [];
  let refuseDeltas = false;
  const session = {
    closed: new Promise(() => {}),
    request: (r: Request) => {
      sent.push(r);
      const refused = refuseDeltas && r.type === "library-delta";
      return Promise.resolve({
        message: refused ? { type: "error", code: "bad-request", message: "nope" } : { type: "ok" },
      });
    },
  } as unknown as Session;
  const record = recordFor(session, current);
  const settle = async () => {
    while (record.pushing) await new Promise((r) => setTimeout(r, 1));
  };
  current = { rev: 2, games: games(3) };
  sync.push(record);
  await settle();
  current = { rev: 3, games: games(40) };
  sync.push(record);
  await settle();
  refuseDeltas = true;
  current = { rev: 4, games: games(39) };
  sync.push(record);
  await settle();
  assertEquals(sent.map((r) => r.type), [
    "library-delta",
    "library-changed",
    "library-delta",
    "library-changed",
  ]);
  assertEquals(record.sent, current);
  assert(logs.some((l) => /refused our library delta 3->4 \(bad-request: nope\)/.test(l)));
});

Deno.test("serving: pages of the snapshot a peer was sent outlive changes; a lost one is not-found", () => {
  let current: LibrarySnapshot = { rev: 1, games: games(9) };
  const sync = new LibrarySync({
    events: new EventLog(),
    log: silentLogger,
    library: port(() => current),
    pageBytes: PAGE_BYTES,
  });
  const record = recordFor(null, current);
  current = { rev: 2, games: [] };
  const page = sync.page(record, 1, 3).message;
  assert(page.type === "library");
  assertEquals([page.library.rev, page.library.offset, page.library.total], [1, 3, 9]);
  assertEquals(page.library.games[0], games(9)[3]);
  const fresh = sync.page(record, undefined, 0).message;
  assert(fresh.type === "library" && fresh.library.rev === 2);
  assertEquals(record.sent, current, "a fresh fetch is what deltas follow from");
  const lost = sync.page(record, 1, 3).message;
  assert(lost.type === "error" && lost.code === "not-found", JSON.stringify(lost));
});
