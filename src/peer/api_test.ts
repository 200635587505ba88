import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { CommandError } from "../common/errors.ts";
import { EventLog } from "../common/events.ts";
import { type ApiParts, PeerApi } from "./api.ts";
import type { LocalGame } from "./library/mod.ts";
import type { PeerView } from "./sync/peer_table.ts";
import type { WireGame } from "../wire/library_schemas.ts";
import { fakeInstalls, fakeSettings } from "./_test_api.ts";

function peer(peerId: string, state: PeerView["state"] = "connected"): PeerView {
  return {
    peerId,
    name: `n-${peerId}`,
    addr: "10.0.0.1:1",
    state,
    protocolVersion: 1,
    rev: 1,
    games: [],
    bytesSent: 10,
    bytesReceived: 20,
    rttMs: 1.5,
  };
}

function wire(id: string, version: string, extra: Partial<WireGame> = {}): WireGame {
  return { id, name: id, version, size: 10, files: 1, ...extra };
}

function local(id: string, version: string | null): LocalGame {
  return {
    id,
    name: id,
    version,
    size: 5,
    files: 1,
    downloaded: version !== null,
    installed: false,
    installedVersion: null,
    hashing: false,
  };
}

/** An API over fakes; `over` replaces any part. */
function fake(over: Partial<ApiParts> = {}) {
  const events = new EventLog();
  const stop = new AbortController();
  const peers: PeerView[] = [];
  const settings = fakeSettings();
  const kept: string[] = [];
  const parts: ApiParts = {
    status: () => ({ gamesDir: "/g", protocolVersion: 1 }),
    events,
    stopping: stop.signal,
    peers: {
      list: () => peers,
      libraries: () => [
        { peerId: "a", name: "Alice", games: [wire("Doom", "2", { installedVersion: "2" })] },
        { peerId: "b", name: "Bob", games: [wire("Doom", "1"), wire("Quake", "1")] },
      ],
      connect: (target) => Promise.resolve(peer(`${target.hostname}`)),
    },
    dialer: { keep: (t) => void kept.push(t.hostname), discovered: () => [] },
    heard: () => [],
    library: {
      games: () => [local("Doom", "1")],
      files: () => [{ path: "a", size: 5 }],
      setGamesDir: () => Promise.resolve(),
    },
    operations: { current: () => null, running: () => [] },
    installs: fakeInstalls(),
    downloads: {
      views: () => [],
      start: () => Promise.resolve({ sources: ["a"], version: "2" }),
      cancel: () => Promise.resolve(),
    },
    settings: { get: () => settings, update: (p) => Promise.resolve({ ...settings, ...p }) },
    ...over,
  };
  return { api: new PeerApi(parts), events, stop, peers, kept };
}

Deno.test("listGames merges local and offered games with versions, sources and installed counts", () => {
  const { api } = fake();
  const games = api.listGames();
  assertEquals(games.map((g) => g.id), ["Doom", "Quake"]);
  const doom = games[0]!;
  assertEquals(doom.version, "1");
  assertEquals(doom.latestVersion, "2");
  assertEquals(doom.sources, ["a"]);
  assertEquals(doom.peerCount, 2);
  assertEquals(doom.installedCount, 1);
  assertEquals(doom.operation, null);
  assertEquals(games[1]!.downloaded, false);
});

Deno.test("gameDetail lists every peer's offer and our files; an unknown or bad id is refused", () => {
  const { api } = fake();
  const doom = api.gameDetail("Doom");
  assertEquals(doom.offers.map((o) => [o.name, o.version, o.installedVersion]), [
    ["Alice", "2", "2"],
    ["Bob", "1", null],
  ]);
  assertEquals(doom.files, [{ path: "a", size: 5 }]);
  assertEquals(api.gameDetail("Quake").files, [], "not downloaded: no local files");
  const missing = assertThrows(() => api.gameDetail("Nope"), CommandError);
  assertEquals(missing.code, "not-found");
  assertEquals(assertThrows(() => api.gameDetail("../x"), CommandError).code, "bad-request");
});

Deno.test("connect keeps a reached address connected; a bad address is a bad-request", async () => {
  const { api, kept } = fake();
  const reached = await api.connect("10.1.2.3:47800");
  assertEquals(reached.peerId, "10.1.2.3");
  assertEquals(kept, ["10.1.2.3"]);
  const bad = await assertRejects(() => api.connect("nonsense"), CommandError);
  assertEquals(bad.code, "bad-request");
});

Deno.test("waitPeers answers once enough peers connect, and times out with the count reached", async () => {
  const { api, events, peers } = fake();
  const waiting = api.waitPeers(1, 5_000);
  peers.push(peer("x"));
  events.emit("peer-connected", { peerId: "x", name: "x", addr: "" });
  assertEquals((await waiting).map((p) => p.peerId), ["x"]);
  const late = await assertRejects(() => api.waitPeers(2, 20), CommandError);
  assertEquals(late.code, "timeout");
});

Deno.test("a shutdown ends a pending wait at once with shutting-down, and refuses new downloads", async () => {
  const { api, stop } = fake();
  const waiting = api.waitPeers(5, 3_600_000);
  stop.abort();
  const error = await assertRejects(() => waiting, CommandError);
  assertEquals(error.code, "shutting-down");
  const refused = await assertRejects(() => api.download("Doom", { install: false }), CommandError);
  assertEquals(refused.code, "shutting-down");
});

Deno.test("downloads name their sources by peer name", () => {
  const { api, peers } = fake({
    operations: { current: (g) => g === "Doom" ? "download" : null, running: () => [] },
    downloads: {
      views: () => [{
        game: "Doom",
        version: "2",
        phase: "downloading",
        doneBytes: 1,
        totalBytes: 2,
        bytesPerSecond: 1,
        etaSeconds: 1,
        sources: [{ peerId: "a", name: "", bytesPerSecond: 1, bytes: 1, share: 1 }],
        dropped: [],
        history: [],
        install: false,
        waiting: null,
      }],
      start: () => Promise.resolve({ sources: [], version: "2" }),
      cancel: () => Promise.resolve(),
    },
  });
  peers.push({ ...peer("a"), name: "Alice" });
  assertEquals(api.downloads()[0]!.sources[0]!.name, "Alice");
  assertEquals(api.gameDetail("Doom").download?.game, "Doom");
  assertEquals(api.listGames()[0]!.operation, "download");
});

Deno.test("set-game-dir to another folder is refused while any operation runs, naming it", async () => {
  const { api } = fake({
    operations: {
      current: (g) => g === "Doom" ? "install" : null,
      running: () => [{ game: "Doom", operation: "install" }],
    },
  });
  const error = await assertRejects(() => api.setGameDir("/elsewhere"), CommandError);
  assertEquals(error.code, "busy");
  assertEquals(error.message.includes("Doom (install)"), true, error.message);
  assertEquals(api.listGames().find((g) => g.id === "Doom")?.operation, "install");
});
