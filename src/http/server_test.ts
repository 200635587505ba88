import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/assert.ts";
import { silentLogger } from "../common/log.ts";
import { fakeApi } from "../peer/_test_api.ts";
import {
  isLoopback,
  ownHosts,
  startWebServer,
  stateToken,
  TOKEN_FILE,
  WebBindError,
} from "./server.ts";
import { browserCommand } from "./open_browser.ts";

Deno.test("the server serves the app on loopback and stops with its signal", async () => {
  const stop = new AbortController();
  const state = await Deno.makeTempDir();
  try {
    const server = await startWebServer({
      api: fakeApi().api,
      port: 0,
      stateDir: state,
      log: silentLogger,
      signal: stop.signal,
    });
    assertMatch(server.info.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assertEquals(server.info.exposed, false);
    const res = await fetch(`${server.info.url}api/v1/status`);
    assertEquals((await res.json()).gamesDir, "/games");
    // A browser's open event stream must not hold the shutdown.
    const events = await fetch(`${server.info.url}api/v1/events`, {
      headers: { Accept: "text/event-stream" },
    });
    stop.abort();
    await server.finished;
    await events.body?.cancel();
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("a port in use is a one-line error naming the port", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const error = await assertRejects(
      () =>
        startWebServer({
          api: fakeApi().api,
          port: taken.addr.port,
          stateDir: "/nonexistent",
          log: silentLogger,
          signal: AbortSignal.abort(),
        }),
      WebBindError,
    );
    assertMatch(
      error.message,
      new RegExp(`^web page: TCP port ${taken.addr.port} on 127.0.0.1 is in use`),
    );
    assertEquals(error.message.includes("\n"), false);
  } finally {
    taken.close();
  }
});

Deno.test("an exposed page generates a token once into the state dir and requires it", async () => {
  const state = await Deno.makeTempDir();
  const stop = new AbortController();
  try {
    const token = await stateToken(state);
    assertMatch(token, /^[A-Za-z0-9_-]{32}$/);
    assertEquals(await stateToken(state), token, "kept across restarts");
    assertEquals((await Deno.readTextFile(`${state}/${TOKEN_FILE}`)).trim(), token);
    // Bound to every interface, but this test only talks to loopback.
    const server = await startWebServer({
      api: fakeApi().api,
      host: "0.0.0.0",
      port: 0,
      stateDir: state,
      log: silentLogger,
      signal: stop.signal,
    });
    assertEquals(server.info.exposed, true);
    assertMatch(server.info.url, new RegExp(`\\?token=${token}$`));
    const base = `http://127.0.0.1:${server.info.port}`;
    assertEquals(
      await fetch(`${base}/api/v1/status`).then((r) => (r.body?.cancel(), r.status)),
      401,
    );
    const ok = await fetch(`${base}/api/v1/status`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
    stop.abort();
    await server.finished;
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("own hosts: loopback names always, the machine's names and addresses when exposed", () => {
  const local = ownHosts("127.0.0.1");
  assertEquals([...local].sort(), ["127.0.0.1", "::1", "localhost"]);
  const lan = ownHosts("0.0.0.0");
  assert(lan.has(Deno.hostname().toLowerCase()));
  assert(lan.has("127.0.0.1"));
  assertEquals(lan.has("0.0.0.0"), false);
  assertEquals(ownHosts("192.0.2.7").has("192.0.2.7"), true);
  assertEquals([isLoopback("127.0.0.5"), isLoopback("[::1]"), isLoopback("0.0.0.0")], [
    true,
    true,
    false,
  ]);
});

Deno.test("the browser opens from a desktop session only", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const url = "http://127.0.0.1:47880/";
  assertEquals(browserCommand("linux", env({}), url), null, "no display: a headless host");
  assertEquals(browserCommand("linux", env({ DISPLAY: ":0" }), url), ["xdg-open", url]);
  assertEquals(browserCommand("linux", env({ WAYLAND_DISPLAY: "wayland-0" }), url), [
    "xdg-open",
    url,
  ]);
  assertEquals(browserCommand("darwin", env({}), url), ["open", url]);
  assertEquals(browserCommand("windows", env({}), url), ["cmd", "/c", "start", '""', url]);
});
