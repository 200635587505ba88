/**
 * `createApp(deps)`: the whole web side of a peer as one Hono app, built
 * without listening (tests call `app.request()`; server.ts serves it).
 *
 * Order of the guards: security headers on every answer; the Host check
 * first (a rebinding page learns nothing, not even whether a token is
 * needed); then the token; then the CSRF rules for state changes. One
 * `onError` turns every failure into `{code, message}` with a fitting
 * status (RFC 9110), or a small HTML page for a browser.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { silentLogger } from "../common/log.ts";
import { apiRoutes } from "./api_routes.ts";
import { assetRoutes } from "./assets.ts";
import { type AppDeps, LOOPBACK_HOSTS } from "./deps.ts";
import { csrfCheck, hostCheck, securityHeaders, tokenAuth } from "./guard.ts";
import { pageRoutes } from "./pages.tsx";
import { describeError, HttpError } from "./status.ts";
import { ASSET_PATHS } from "./assets.ts";

function wantsJson(c: Context): boolean {
  return c.req.path.startsWith("/api/") ||
    !(c.req.header("accept") ?? "").includes("text/html");
}

function errorPage(status: number, code: string, message: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${status} · lanspread</title><link rel="stylesheet" href="${ASSET_PATHS.css}">` +
    `</head><body><div class="page"><main id="view"><h1>${esc(code)}</h1>` +
    `<p>${esc(message)}</p><p><a href="/">Back to the library</a></p></main></div></body></html>`;
}

/** Builds the app: pages, `/api/v1`, assets, guards and one error handler. */
export function createApp(deps: AppDeps): Hono {
  const log = deps.log ?? silentLogger;
  const hosts = deps.hosts ?? (() => LOOPBACK_HOSTS);
  const app = new Hono();
  app.use(securityHeaders());
  app.use(hostCheck(hosts));
  app.use(tokenAuth({ token: deps.token, port: deps.port ?? 0 }));
  app.use(csrfCheck());
  app.route("/", assetRoutes());
  app.route("/api/v1", apiRoutes(deps));
  app.route("/", pageRoutes(deps));
  app.notFound(() => {
    throw new HttpError(404, "not-found", "no such page or route");
  });
  app.onError((error, c) => {
    const { status, body } = describeError(error);
    if (status >= 500 && body.code === "internal") {
      log.error(`${c.req.method} ${c.req.path}: ${body.message}`);
    }
    if (wantsJson(c)) return c.json(body, status as 400);
    return c.html(errorPage(status, body.code, body.message), status as 400);
  });
  return app;
}
