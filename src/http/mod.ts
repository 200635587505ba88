/**
 * The peer's web page and HTTP API (README "The web page"), on Hono. Everything reads
 * and acts through {@linkcode PeerApi}, the object the JSONL harness drives.
 *
 * | file | role | I/O |
 * |---|---|---|
 * | `app.tsx` | `createApp(deps)`: guards, routes, the one `onError` | none |
 * | `deps.ts` | what the app is built from | none |
 * | `guard.ts` | Host check, token and cookie, CSRF, security headers (CSP) | none |
 * | `status.ts` | error codes → HTTP statuses, `{code, message}` | none |
 * | `_body.ts` | bounded JSON bodies checked by zod | none |
 * | `api_routes.ts` | `/api/v1` JSON routes | none |
 * | `events.ts` | `GET /api/v1/events`: server-sent events and long-poll | timers |
 * | `pages.tsx`, `ui/*.tsx` | the pages, rendered on the server with `hono/jsx` | none |
 * | `ui/state.ts`, `ui/format.ts`, `ui/cover.ts` | what a game reads as; numbers in words; placeholders | none |
 * | `assets.ts`, `assets/*` | the client module, style sheet and icon, in the module graph | none |
 * | `server.ts` | binds and serves: the only `Deno.serve` | TCP |
 * | `open_browser.ts` | opens the page in the default browser | spawns |
 *
 * @module
 */
export { createApp } from "./app.tsx";
export type { AppDeps, WebInfo } from "./deps.ts";
export {
  DEFAULT_WEB_PORT,
  isLoopback,
  startWebServer,
  WebBindError,
  type WebServer,
  type WebServerOptions,
} from "./server.ts";
export { browserCommand, openBrowser } from "./open_browser.ts";
export { HTTP_STATUS } from "./status.ts";
