import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { createApp } from "./app.tsx";
import { fakeApi } from "../peer/_test_api.ts";
import { BASE, get, send } from "./_test_util.ts";
import { cookieName, CSP, hostName } from "./guard.ts";

const TOKEN = "a-token-of-the-organiser-0123";

function exposed() {
  const { api, calls } = fakeApi();
  const hosts = new Set(["127.0.0.1", "localhost", "::1", "192.0.2.10", "lanbox", "lanbox.local"]);
  const app = createApp({ api, token: TOKEN, port: 47880, hosts: () => hosts });
  return { app, calls };
}

Deno.test("without the token the API is 401 and a page says how to get in", async () => {
  const { app } = exposed();
  const api = await get(app, "/api/v1/status");
  assertEquals(api.status, 401);
  assertEquals((await api.json()).code, "unauthorized");
  const page = await get(app, "/", { Accept: "text/html" });
  assertEquals(page.status, 401);
  assertMatch(await page.text(), /token/);
});

Deno.test("a bearer token opens the API; a wrong one is refused", async () => {
  const { app } = exposed();
  const ok = await get(app, "/api/v1/status", { Authorization: `Bearer ${TOKEN}` });
  assertEquals(ok.status, 200);
  const wrong = await get(app, "/api/v1/status", { Authorization: "Bearer nope" });
  assertEquals(wrong.status, 401);
});

Deno.test("?token= on a page sets an HttpOnly SameSite cookie and redirects to the address without it", async () => {
  const { app } = exposed();
  const first = await get(app, `/party?token=${TOKEN}`, { Accept: "text/html" });
  assertEquals(first.status, 303);
  assertEquals(first.headers.get("location"), "/party");
  const cookie = first.headers.get("set-cookie") ?? "";
  assertMatch(cookie, new RegExp(`^${cookieName(47880)}=${TOKEN};`));
  assertMatch(cookie, /HttpOnly/);
  assertMatch(cookie, /SameSite=Strict/);
  const pair = cookie.split(";")[0]!;
  const page = await get(app, "/party", { Accept: "text/html", Cookie: pair });
  assertEquals(page.status, 200);
  const events = await get(app, "/api/v1/events?timeoutMs=0", { Cookie: pair });
  assertEquals(events.status, 200, "the cookie opens the API too (EventSource sends no headers)");
  const wrong = await get(app, "/?token=guess", { Accept: "text/html" });
  assertEquals(wrong.status, 401);
  assertEquals(wrong.headers.get("set-cookie"), null);
});

Deno.test("loopback without --web-token needs no token", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  assertEquals((await get(app, "/api/v1/status")).status, 200);
});

Deno.test("a Host that is not one of the peer's names is refused before anything else (DNS rebinding)", async () => {
  const { app } = exposed();
  for (const host of ["evil.example", "127.0.0.1.evil.example", "lanbox.evil", ""]) {
    const res = await app.request(`${BASE}/api/v1/status`, {
      headers: { Host: host, Authorization: `Bearer ${TOKEN}` },
    });
    assertEquals(res.status, 421, host);
    assertMatch((await res.json()).message, /not one of this peer's names/);
  }
  for (
    const host of [
      "127.0.0.1:47880",
      "localhost:47880",
      "[::1]:47880",
      "LANBOX.local",
      "192.0.2.10",
    ]
  ) {
    const res = await app.request(`${BASE}/api/v1/status`, {
      headers: { Host: host, Authorization: `Bearer ${TOKEN}` },
    });
    assertEquals(res.status, 200, host);
  }
});

Deno.test("hostName reads names, addresses and ports of a Host header", () => {
  assertEquals(hostName("Example.COM:80"), "example.com");
  assertEquals(hostName("[::1]:47880"), "::1");
  assertEquals(hostName("127.0.0.1"), "127.0.0.1");
  assertEquals(hostName("a:b:c"), null);
});

Deno.test("a state change that is not JSON is refused with 415 and does nothing (CSRF by form)", async () => {
  const { api, calls } = fakeApi();
  const app = createApp({ api, token: null });
  for (
    const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
  ) {
    const res = await app.request(`${BASE}/api/v1/games/Quake/download`, {
      method: "POST",
      headers: type ? { "Content-Type": type } : {},
      body: "{}",
    });
    assertEquals(res.status, 415, type);
    assertEquals((await res.json()).code, "bad-request");
  }
  assertEquals(calls, []);
});

Deno.test("a state change from another origin or site is refused with 403", async () => {
  const { api, calls } = fakeApi();
  const app = createApp({ api, token: null });
  const cases: Record<string, string>[] = [
    { Origin: "http://evil.example" },
    { Origin: "http://127.0.0.1:47881" },
    { Origin: "null" },
    { "Sec-Fetch-Site": "cross-site" },
    { "Sec-Fetch-Site": "same-site" },
  ];
  for (const headers of cases) {
    const res = await send(app, "/api/v1/games/Quake/download", {}, { headers });
    assertEquals(res.status, 403, JSON.stringify(headers));
  }
  const same = await send(app, "/api/v1/games/Quake/download", {}, {
    headers: { Origin: BASE, "Sec-Fetch-Site": "same-origin" },
  });
  assertEquals(same.status, 202, "our own page may");
  assertEquals(calls, ["download Quake install=false"]);
});

Deno.test("every answer carries a strict CSP with no inline script, and nosniff", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  for (const path of ["/", "/api/v1/status", "/api/v1/nothing", "/assets/icon.svg"]) {
    const res = await get(app, path, { Accept: "text/html" });
    assertEquals(res.headers.get("content-security-policy"), CSP, path);
    assertEquals(res.headers.get("x-content-type-options"), "nosniff");
    await res.body?.cancel();
  }
  assert(!CSP.includes("unsafe-inline") && !CSP.includes("unsafe-eval"));
  assertMatch(CSP, /script-src 'self'/);
  assertMatch(CSP, /frame-ancestors 'none'/);
});
