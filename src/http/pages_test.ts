import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/assert.ts";
import { createApp } from "./app.tsx";
import { downloadView, fakeApi, localGame, wireGame } from "../peer/_test_api.ts";
import { get } from "./_test_util.ts";
import { ASSET_PATHS } from "./assets.ts";
import { PAGE_SIZE } from "./ui/library.tsx";

const html = { Accept: "text/html" };

async function page(app: ReturnType<typeof createApp>, path: string): Promise<string> {
  const res = await get(app, path, html);
  assertEquals(res.status, 200, path);
  assertMatch(res.headers.get("content-type") ?? "", /text\/html/);
  return await res.text();
}

Deno.test("every page renders with the frame, its section marked current, and no inline script or style", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  for (
    const path of ["/", "/games/Doom", "/downloads", "/party", "/peers", "/activity", "/settings"]
  ) {
    const text = await page(app, path);
    assertMatch(text, /^<!doctype html><html lang="en">/);
    assertStringIncludes(text, `<script type="module" src="${ASSET_PATHS.js}"></script>`);
    assertEquals(/<script(?![^>]*src=)/.test(text), false, `${path}: inline script`);
    assertEquals(/<style|style="/.test(text), false, `${path}: inline style`);
    assertStringIncludes(text, 'role="status" aria-live="polite"');
    if (path !== "/games/Doom") assertMatch(text, new RegExp(`href="${path}" aria-current="page"`));
  }
});

Deno.test("each game is an article labelled by its name, with a state word and a verb button", async () => {
  const app = createApp({
    api: fakeApi({ downloads: [downloadView("Quake", 250_000)] }).api,
    token: null,
  });
  const text = await page(app, "/");
  assertMatch(text, /<article class="card state-downloaded" aria-labelledby="title-Doom"/);
  assertMatch(text, /<h3 id="title-Doom"><a [^>]*>Doom<\/a><\/h3>/);
  assertMatch(text, /data-field="state">Downloaded</);
  assertMatch(text, /data-action="update"[^>]*>Update<\/button>/, "Doom: Alice has v2, we have v1");
  assertMatch(text, /data-field="state">Downloading</);
  assertMatch(text, /<progress max="100" value="25" aria-label="Quake download progress">/);
  assertMatch(text, /data-action="cancel"[^>]*>Cancel<\/button>/);
});

Deno.test("an offered game reads Available with Download; an unoffered local folder Unavailable without a button", async () => {
  const api = fakeApi({
    libraries: [{ peerId: "aaaaaaaaaaaaaaaa", name: "Alice", games: [wireGame("Doom", "1")] }],
    local: [localGame("Half", null)],
  }).api;
  const text = await page(createApp({ api, token: null }), "/");
  assertMatch(text, /data-field="state">Available</);
  assertMatch(
    text,
    /data-action="download"[^>]*data-body="\{&quot;install&quot;:(true|false)\}"[^>]*>Download</,
  );
  assertMatch(text, /data-field="state">Unavailable</);
  assertEquals((text.match(/<button type="button"/g) ?? []).length, 1);
});

Deno.test("search, filter and sort are server-side and paged", async () => {
  const games = Array.from(
    { length: 150 },
    (_, i) => wireGame(`Game${String(i).padStart(3, "0")}`, "1"),
  );
  const api = fakeApi({
    libraries: [{ peerId: "aaaaaaaaaaaaaaaa", name: "Alice", games }],
    local: [localGame("Game007", "1")],
  }).api;
  const app = createApp({ api, token: null });
  const all = await page(app, "/");
  assertEquals((all.match(/<article /g) ?? []).length, PAGE_SIZE);
  assertMatch(all, new RegExp(`${PAGE_SIZE} of 150 games`));
  assertMatch(all, /href="\/\?page=2"[^>]*>Show more/);
  const two = await page(app, "/?page=2");
  assertEquals((two.match(/<article /g) ?? []).length, 2 * PAGE_SIZE);
  const found = await page(app, "/?q=game14");
  assertEquals((found.match(/<article /g) ?? []).length, 10);
  const downloaded = await page(app, "/?filter=downloaded");
  assertEquals([...downloaded.matchAll(/aria-labelledby="title-(\w+)"/g)].map((m) => m[1]), [
    "Game007",
  ]);
  const lenient = await page(app, "/?filter=bogus&sort=bogus&page=-3");
  assertMatch(lenient, new RegExp(`${PAGE_SIZE} of 150 games`));
});

Deno.test("a fragment request gets only the banner and the view", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  const res = await get(app, "/peers", { "Lanspread-Fragment": "1" });
  const text = await res.text();
  assertMatch(text, /^<div id="banner">/);
  assertMatch(text, /<main id="view" tabindex="-1"><h1>Peers<\/h1>/);
  assertEquals(text.includes("<html"), false);
});

Deno.test("the game page shows versions, offers, files and what a removal deletes", async () => {
  const text = await page(createApp({ api: fakeApi().api, token: null }), "/games/Doom");
  assertMatch(text, /<article class="detail" aria-labelledby="game-title"/);
  assertMatch(text, /<dt>Newest among peers<\/dt><dd>v2<\/dd>/);
  assertMatch(text, /<td>Alice<\/td><td>v2<\/td><td>v2<\/td>/);
  assertMatch(text, /<code>doom.wad<\/code>/);
  assertMatch(
    text,
    /data-confirm="Remove the files of Doom\? This deletes 1 downloaded files[^"]*\/games\/Doom/,
  );
  assertMatch(text, />Remove files<\/button>/);
  const missing = await get(createApp({ api: fakeApi().api, token: null }), "/games/Nope", html);
  assertEquals(missing.status, 404);
  assertMatch(await missing.text(), /not-found/);
});

Deno.test("a download's detail shows per-source speed and share, and a sparkline", async () => {
  const api = fakeApi({ downloads: [downloadView("Quake")] }).api;
  const text = await page(createApp({ api, token: null }), "/downloads");
  assertMatch(text, /<td>Alice<\/td><td>250 KB\/s<\/td>/);
  assertMatch(text, /<meter min="0" max="1" value="1" aria-label="Alice share">/);
  assertMatch(text, /<svg class="spark"[^>]*role="img"[^>]*><polyline points="[\d., ]+"/);
});

Deno.test("the party board counts installed copies among the members", async () => {
  const text = await page(createApp({ api: fakeApi().api, token: null }), "/party");
  assertMatch(text, /3 members/);
  assertMatch(
    text,
    /<th scope="row"><a href="\/games\/Doom">Doom<\/a><\/th><td><meter[^>]*><\/meter> 1 of 3<\/td><td>3 of 3<\/td>/,
  );
});

Deno.test("the peers page names both versions of an incompatible peer", async () => {
  const peer = fakeApi().api.listPeers()[0]!;
  const { api } = fakeApi({
    over: {
      peers: {
        list: () => [{ ...peer, state: "incompatible", protocolVersion: 2 }],
        libraries: () => [],
        connect: () => Promise.reject(new Error("not in this test")),
      },
    },
  });
  const text = await page(createApp({ api, token: null }), "/peers");
  assertMatch(text, /incompatible: speaks protocol v2, this peer v1/);
});

Deno.test("the activity log lists events newest first, in words, filterable by kind", async () => {
  const { api, events } = fakeApi();
  events.emit("peer-connected", { peerId: "aaaaaaaaaaaaaaaa", name: "Alice", addr: "h:1" });
  events.emit("download-progress", {
    game: "Quake",
    doneBytes: 1,
    totalBytes: 2,
    bytesPerSecond: 1,
    activePeers: 1,
    etaSeconds: 1,
  });
  events.emit("download-failed", { game: "Quake", code: "disk-full", message: "no space" });
  const app = createApp({ api, token: null });
  const all = await page(app, "/activity");
  const rows = [...all.matchAll(/<span class="what">([^<]*)<\/span>/g)].map((m) => m[1]);
  assertEquals(rows, ["Download of Quake failed: no space (disk-full)", "Alice connected (h:1)"]);
  const peers = await page(app, "/activity?kind=peers");
  assertEquals([...peers.matchAll(/<span class="what">/g)].length, 1);
});

Deno.test("a failed service shows as a banner until it runs again", async () => {
  let state = "failed";
  const { api } = fakeApi({
    over: {
      status: () => ({
        gamesDir: "/games",
        protocolVersion: 1,
        services: { discovery: { state, lastError: "multicast refused", restarts: 2 } },
      }),
    },
  });
  const app = createApp({ api, token: null });
  assertMatch(
    await page(app, "/"),
    /<div class="banner" role="alert"><p><strong>discovery<\/strong> has failed:\s*multicast refused/,
  );
  state = "running";
  assertEquals((await page(app, "/")).includes('class="banner"'), false);
});

Deno.test("settings show the party fingerprint and how the page is reached", async () => {
  const app = createApp({
    api: fakeApi().api,
    token: "t".repeat(20),
    web: { url: "http://192.0.2.1:47880/", host: "0.0.0.0", port: 47880, exposed: true },
  });
  const res = await get(app, "/settings", { ...html, Authorization: `Bearer ${"t".repeat(20)}` });
  const text = await res.text();
  assertMatch(text, /<code>ab12cd34<\/code>/);
  assertMatch(text, /exposed on the LAN at 0.0.0.0:47880; a token is required/);
  assert(text.includes('name="uploadsPerPeer"'));
});

Deno.test("assets are served from the module graph with long cache lifetimes", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  const js = await get(app, ASSET_PATHS.js);
  assertEquals(js.status, 200);
  assertMatch(js.headers.get("content-type") ?? "", /text\/javascript/);
  assertMatch(js.headers.get("cache-control") ?? "", /immutable/);
  assertStringIncludes(await js.text(), 'new EventSource("/api/v1/events?since="');
  assertEquals((await get(app, ASSET_PATHS.css)).status, 200);
});

Deno.test("a game that installs reads Installing with its bar, its speed and the archive", async () => {
  const app = createApp({
    api: fakeApi({
      over: {
        operations: { current: (g) => g === "Doom" ? "install" : null, running: () => [] },
        installs: {
          install: (game) => Promise.resolve({ game, version: "1", files: 1, bytes: 1 }),
          uninstall: (game) => Promise.resolve({ game }),
          remove: (game) => Promise.resolve({ game }),
          play: (game) => Promise.resolve({ game, pid: 1 }),
          commands: () => undefined,
          progress: (game) =>
            game === "Doom"
              ? {
                doneBytes: 300,
                totalBytes: 1_000,
                bytesPerSecond: 2_000_000,
                archive: "doom.zip",
              }
              : null,
        },
      },
    }).api,
    token: null,
  });
  for (const path of ["/", "/games/Doom"]) {
    const text = await page(app, path);
    assertMatch(text, /data-field="state">Installing</, path);
    assertMatch(text, /<progress max="100" value="30" aria-label="Doom install progress">/, path);
    assertStringIncludes(text, 'data-field="archive">doom.zip<');
  }
});
