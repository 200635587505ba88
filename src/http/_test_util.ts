/**
 * Requests for `app.request()` tests: a base URL whose Host is allowed, and
 * JSON posts shaped the way the page sends them.
 *
 * @module
 */
import type { Hono } from "hono";

export const BASE = "http://127.0.0.1:47880";

/** A request to `path` on `app`. */
export function get(app: Hono, path: string, headers: Record<string, string> = {}) {
  return app.request(BASE + path, { headers });
}

/** A JSON request (POST by default) as the page sends it. */
export function send(
  app: Hono,
  path: string,
  body: unknown = {},
  init: { method?: string; headers?: Record<string, string> } = {},
) {
  return app.request(BASE + path, {
    method: init.method ?? "POST",
    headers: { "Content-Type": "application/json", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
