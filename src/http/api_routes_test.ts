import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { CommandError } from "../common/errors.ts";
import { createApp } from "./app.tsx";
import { downloadView, fakeApi } from "../peer/_test_api.ts";
import { get, send } from "./_test_util.ts";
import { MAX_BODY_BYTES } from "./_body.ts";

function setup(options: Parameters<typeof fakeApi>[0] = {}) {
  const fake = fakeApi(options);
  return { ...fake, app: createApp({ api: fake.api, token: null }) };
}

Deno.test("GET status, peers, games and downloads answer the API's own shapes", async () => {
  const { app } = setup({ downloads: [downloadView("Quake")] });
  const status = await (await get(app, "/api/v1/status")).json();
  assertEquals([status.peerId, status.gamesDir], ["cccccccccccccccc", "/games"]);
  const peers = (await (await get(app, "/api/v1/peers")).json()).peers;
  assertEquals(peers.map((p: { name: string }) => p.name), ["Alice", "Bob"]);
  const games = (await (await get(app, "/api/v1/games")).json()).games;
  assertEquals(games.map((g: { id: string }) => g.id), ["Doom", "Quake"]);
  const downloads = (await (await get(app, "/api/v1/downloads")).json()).downloads;
  assertEquals(downloads[0].game, "Quake");
  assertEquals(downloads[0].sources[0].name, "Alice", "sources named by peer name");
});

Deno.test("GET games/:id has files, offers and versions; unknown ids are 404, bad ids 400", async () => {
  const { app } = setup();
  const doom = await (await get(app, "/api/v1/games/Doom")).json();
  assertEquals(doom.files, [{ path: "doom.wad", size: 5000 }]);
  assertEquals(doom.offers.map((o: { version: string }) => o.version), ["2", "1"]);
  assertEquals([doom.version, doom.latestVersion, doom.installed], ["1", "2", false]);
  const missing = await get(app, "/api/v1/games/Nope");
  assertEquals(missing.status, 404);
  assertEquals((await missing.json()).code, "not-found");
  for (const bad of ["%2e%2e%2fetc", "..x", "-x", "a".repeat(65), "a%20b"]) {
    const res = await get(app, `/api/v1/games/${bad}`);
    assertEquals(res.status, 400, bad);
    assertEquals((await res.json()).code, "bad-request", bad);
  }
});

Deno.test("POST download starts a download and answers 202 with its sources; an unoffered game is 404", async () => {
  const { app, calls } = setup();
  const res = await send(app, "/api/v1/games/Quake/download", {});
  assertEquals(res.status, 202);
  assertEquals(await res.json(), { game: "Quake", version: "2", sources: ["aaaaaaaaaaaaaaaa"] });
  assertEquals(calls, ["download Quake install=false"]);
  const none = await send(app, "/api/v1/games/Nope/download", {});
  assertEquals(none.status, 404);
  assertMatch((await none.json()).message, /no connected peer offers Nope/);
});

Deno.test("download with install:true is started with the flag", async () => {
  const { app, calls } = setup();
  const res = await send(app, "/api/v1/games/Quake/download", { install: true });
  assertEquals(res.status, 202);
  assertEquals(calls, ["download Quake install=true"]);
});

Deno.test("POST cancel, install, uninstall, remove and play reach the API; errors keep their codes", async () => {
  const { app, calls } = setup({
    over: {
      downloads: {
        views: () => [],
        start: () => Promise.resolve({ sources: [], version: "1" }),
        cancel: (game) => {
          calls.push(`cancel ${game}`);
          return game === "Doom"
            ? Promise.resolve()
            : Promise.reject(new CommandError("not-found", `${game} is not downloading`));
        },
      },
    },
  });
  const cancelled = await send(app, "/api/v1/games/Doom/cancel");
  assertEquals([cancelled.status, await cancelled.json()], [200, { game: "Doom" }]);
  assertEquals(calls, ["cancel Doom"]);
  assertEquals((await send(app, "/api/v1/games/Quake/cancel")).status, 404);
  for (const verb of ["install", "uninstall", "remove"]) {
    const res = await send(app, `/api/v1/games/Doom/${verb}`);
    const body = await res.json();
    if (res.status === 501) assertEquals(body.code, "unsupported", verb);
    else assert(res.status < 500, `${verb}: ${res.status} ${JSON.stringify(body)}`);
  }
  const play = await send(app, "/api/v1/games/Doom/play", { server: true });
  assert([200, 409, 501].includes(play.status), `play: ${play.status}`);
});

Deno.test("GET and PATCH settings: changes are applied and answered; the games folder too", async () => {
  const { app, calls } = setup();
  const before = await (await get(app, "/api/v1/settings")).json();
  assertEquals([before.name, before.gamesDir, before.uploadLimit], ["me", "/games", null]);
  const res = await send(app, "/api/v1/settings", {
    playerName: "Neo",
    uploadLimit: 12.5,
    gamesDir: "/mnt/games",
  }, { method: "PATCH" });
  assertEquals(res.status, 200);
  const after = await res.json();
  assertEquals([after.playerName, after.uploadLimit, after.gamesDir], ["Neo", 12.5, "/mnt/games"]);
  assertEquals(calls, ["games-dir /mnt/games", 'settings {"playerName":"Neo","uploadLimit":12.5}']);
});

Deno.test("POST peers connects to an address", async () => {
  const { app, calls } = setup();
  const res = await send(app, "/api/v1/peers", { addr: "127.0.0.1:47801" });
  assertEquals(res.status, 200);
  assertEquals((await res.json()).name, "Alice");
  assertEquals(calls, ["connect 127.0.0.1:47801"]);
  assertEquals((await send(app, "/api/v1/peers", { addr: "nonsense" })).status, 400);
});

Deno.test("bad bodies are 400 with the field named, and nothing is done", async () => {
  const { app, calls } = setup();
  const cases: [string, string, unknown, RegExp][] = [
    ["POST", "/api/v1/games/Quake/download", "{not json", /not valid JSON/],
    ["POST", "/api/v1/games/Quake/download", { install: "yes" }, /install/],
    ["POST", "/api/v1/games/Quake/download", { instal: true }, /instal/],
    ["POST", "/api/v1/games/Quake/download", [1, 2], /expected object/],
    ["POST", "/api/v1/games/Doom/play", { server: 1 }, /server/],
    ["POST", "/api/v1/games/Doom/cancel", { now: true }, /now/],
    ["PATCH", "/api/v1/settings", { uploadLimit: -1 }, /uploadLimit/],
    ["PATCH", "/api/v1/settings", { name: "" }, /name/],
    ["PATCH", "/api/v1/settings", { language: "en glish" }, /language/],
    ["PATCH", "/api/v1/settings", { uploadsPerPeer: 1.5 }, /uploadsPerPeer/],
    ["PATCH", "/api/v1/settings", { peerId: "x" }, /peerId/],
    ["POST", "/api/v1/peers", {}, /addr/],
  ];
  for (const [method, path, body, pattern] of cases) {
    const res = await send(app, path, body, { method });
    assertEquals(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    const answer = await res.json();
    assertEquals(answer.code, "bad-request");
    assertMatch(answer.message, pattern);
  }
  assertEquals(calls, [], "no bad request reached the API");
});

Deno.test("an oversize body is refused with 413 too-large, with or without a length", async () => {
  const { app, calls } = setup();
  const big = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) });
  const res = await send(app, "/api/v1/settings", big, { method: "PATCH" });
  assertEquals(res.status, 413);
  assertEquals((await res.json()).code, "too-large");
  const chunked = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(1024)));
      c.close();
    },
  });
  const streamed = await createApp({ api: fakeApi().api, token: null }).request(
    "http://127.0.0.1/api/v1/settings",
    { method: "PATCH", headers: { "Content-Type": "application/json" }, body: chunked },
  );
  assertEquals(streamed.status, 413);
  assertEquals(calls, []);
});

Deno.test("unknown routes and wrong methods are 404 JSON under /api", async () => {
  const { app } = setup();
  const res = await get(app, "/api/v1/nothing");
  assertEquals(res.status, 404);
  assertEquals((await res.json()).code, "not-found");
  assertEquals((await send(app, "/api/v1/status")).status, 404);
});

Deno.test("a cover is the peer's image when it has one, else a generated SVG placeholder", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const { app } = setup({
    over: {
      covers: {
        read: (game) => Promise.resolve(game === "Doom" ? { bytes: png, type: "image/png" } : null),
      },
    },
  });
  const doom = await get(app, "/api/v1/games/Doom/cover");
  assertEquals(doom.headers.get("content-type"), "image/png");
  assertEquals(new Uint8Array(await doom.arrayBuffer()), png);
  const quake = await get(app, "/api/v1/games/Quake/cover");
  assertEquals(quake.headers.get("content-type"), "image/svg+xml");
  assertMatch(await quake.text(), /^<svg[^>]*>.*>Q<\/text><\/svg>$/);
});
