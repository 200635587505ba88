/**
 * What stands between the network and the API: the Host check against DNS
 * rebinding, the token (a cookie for browsers, `Authorization: Bearer` for
 * scripts), CSRF rules for state-changing requests, and the security headers
 * every answer carries (a strict Content-Security-Policy with no inline
 * script: W3C CSP Level 3).
 *
 * Why each: a page on another site can make a browser send requests to
 * 127.0.0.1 (no CORS needed for "simple" requests), and a DNS name that
 * resolves to 127.0.0.1 makes them same-origin. So only our own Host names
 * are served, and a state change must be a JSON request from our own origin,
 * which no other origin can send without a CORS preflight we never grant.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import { HttpError } from "./status.ts";

/** The Content-Security-Policy of every answer: only our own scripts, styles and images. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Sets the security headers on every answer. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  };
}

/** The host name of a `Host` header value (lower case, port and IPv6 brackets removed). */
export function hostName(host: string): string | null {
  const match = /^(\[[0-9a-fA-F:.%]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!match) return null;
  return match[1]!.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** The `Host` of a request (Deno.serve builds the URL from it; `app.request()` may not send one). */
function requestHost(c: Context): string {
  return c.req.header("host") ?? new URL(c.req.url).host;
}

/** Refuses requests whose `Host` is not one of `allowed` (DNS rebinding). */
export function hostCheck(allowed: () => ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const header = requestHost(c);
    const name = hostName(header);
    if (name === null || !allowed().has(name)) {
      throw new HttpError(
        421,
        "bad-request",
        `Host "${header.slice(0, 100)}" is not one of this peer's names or addresses`,
      );
    }
    await next();
  };
}

/** Name of the cookie that carries the token; per port, since cookies ignore ports. */
export function cookieName(port: number): string {
  return `lanspread_token_${port}`;
}

function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Options for {@linkcode tokenAuth}. */
export interface TokenAuthOptions {
  /** The token, or null when none is required (loopback without `--web-token`). */
  token: string | null;
  /** The port the page is served on: names the cookie. */
  port: number;
}

/**
 * Requires the token when there is one. A browser presents it once as
 * `/?token=...` on a page and gets a cookie plus a redirect to the same URL
 * without it (so it does not stay in the address bar or the history).
 */
export function tokenAuth(options: TokenAuthOptions): MiddlewareHandler {
  const name = cookieName(options.port);
  return async (c, next) => {
    const token = options.token;
    if (token === null) return await next();
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (bearer !== undefined) {
      if (!sameToken(bearer, token)) throw unauthorized("the bearer token is wrong");
      return await next();
    }
    const offered = c.req.query("token");
    if (offered !== undefined && c.req.method === "GET" && !isApi(c)) {
      if (!sameToken(offered, token)) throw unauthorized("the token in the address is wrong");
      setCookie(c, name, token, { path: "/", httpOnly: true, sameSite: "Strict" });
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(url.pathname + url.search, 303);
    }
    const cookie = getCookie(c, name);
    if (cookie !== undefined && sameToken(cookie, token)) return await next();
    throw unauthorized(
      "this page needs its token: open the address the peer printed at start " +
        "(…/?token=…), or send Authorization: Bearer <token>",
    );
  };
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, "unauthorized", message);
}

function isApi(c: Context): boolean {
  return c.req.path.startsWith("/api/");
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * State-changing requests must be JSON and come from our own origin: a
 * form on another site can send neither `Content-Type: application/json`
 * nor our `Origin`, and a script there gets no CORS preflight answer.
 */
export function csrfCheck(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return await next();
    const site = c.req.header("sec-fetch-site");
    if (site === "cross-site" || site === "same-site") {
      throw new HttpError(403, "bad-request", `refused: a ${site} request may not change state`);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      let originHost: string | null = null;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        // "null" and garbage: not our origin.
      }
      if (originHost !== requestHost(c).toLowerCase()) {
        throw new HttpError(
          403,
          "bad-request",
          `refused: origin ${origin.slice(0, 100)} is not this page`,
        );
      }
    }
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      throw new HttpError(
        415,
        "bad-request",
        "a request that changes state must be JSON (Content-Type: application/json)",
      );
    }
    await next();
  };
}
