/**
 * Serves the app: the only caller of `Deno.serve` in lanspread (README "The web page").
 * Binds 127.0.0.1 by default; any other address needs a token (given, or
 * generated once into the state dir), and the names the `Host` header may
 * carry are this machine's own.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../common/atomic.ts";
import { errorMessage } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import type { PeerApi } from "../peer/api.ts";
import { createApp } from "./app.tsx";
import { LOOPBACK_HOSTS, type WebInfo } from "./deps.ts";

export { LOOPBACK_HOSTS, type WebInfo };

/** Default TCP port of the page (README "Flags"). */
export const DEFAULT_WEB_PORT = 47880;
/** The file in the state dir that keeps a generated token. */
export const TOKEN_FILE = "web-token";

export interface WebServerOptions {
  api: PeerApi;
  /** Address to bind. @default {"127.0.0.1"} */
  host?: string;
  /** TCP port; 0 picks a free one. @default {DEFAULT_WEB_PORT} */
  port?: number;
  /** `--web-token`; when null and the host is not loopback, one is generated. @default {null} */
  token?: string | null;
  /** Where a generated token is kept. */
  stateDir: string;
  log: Logger;
  /** Aborting it stops the server and ends open event streams. */
  signal: AbortSignal;
}

export interface WebServer {
  info: WebInfo;
  /** Resolves once the server has stopped. */
  finished: Promise<void>;
}

/** The page could not be served (port taken, address not ours). */
export class WebBindError extends Error {
  override name = "WebBindError";
}

/** Whether `host` is a loopback address or name. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** A token that is hard to guess and safe in a URL and a cookie. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** The token kept in the state dir, created on first use. */
export async function stateToken(stateDir: string): Promise<string> {
  const path = join(stateDir, TOKEN_FILE);
  try {
    const kept = (await Deno.readTextFile(path)).trim();
    if (/^[A-Za-z0-9_-]{16,256}$/.test(kept)) return kept;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const token = newToken();
  await writeFileAtomic(path, token + "\n");
  return token;
}

/** Host names a request may carry: loopback, the bound address, and this machine's own. */
export function ownHosts(host: string): Set<string> {
  const names = new Set(LOOPBACK_HOSTS);
  const bound = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (!isWildcard(host)) names.add(bound);
  if (isLoopback(host)) return names;
  try {
    const name = Deno.hostname().toLowerCase();
    names.add(name);
    names.add(`${name}.local`);
  } catch {
    // No host name: addresses still work.
  }
  if (isWildcard(host)) {
    try {
      for (const i of Deno.networkInterfaces()) names.add(i.address.toLowerCase());
    } catch {
      // Interfaces unreadable: the bound names still work.
    }
  }
  return names;
}

function urlHost(host: string): string {
  if (isWildcard(host)) {
    try {
      const lan = Deno.networkInterfaces()
        .find((i) => i.family === "IPv4" && !isLoopback(i.address));
      return lan?.address ?? "127.0.0.1";
    } catch {
      return "127.0.0.1";
    }
  }
  const bare = host.replace(/^\[|\]$/g, "");
  return bare.includes(":") ? `[${bare}]` : bare;
}

/** Binds and serves the page; throws {@linkcode WebBindError} when it cannot bind. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_WEB_PORT;
  const exposed = !isLoopback(host);
  const token = options.token ?? (exposed ? await stateToken(options.stateDir) : null);
  let hosts = ownHosts(host);
  let hostsAt = Date.now();
  const info: WebInfo = { url: "", host, port, exposed };
  const app = createApp({
    api: options.api,
    token,
    port,
    // Addresses change (DHCP, Wi-Fi): look again now and then.
    hosts: () => {
      if (Date.now() - hostsAt > 30_000) [hosts, hostsAt] = [ownHosts(host), Date.now()];
      return hosts;
    },
    signal: options.signal,
    log: options.log,
    web: info,
  });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      signal: options.signal,
      onListen: () => {},
      onError: (error) => {
        options.log.error(`web: ${errorMessage(error)}`);
        return new Response("internal error", { status: 500 });
      },
    }, app.fetch);
  } catch (error) {
    const why = error instanceof Deno.errors.AddrInUse
      ? "is in use; choose another with --web-port, or turn the page off with --no-web"
      : `cannot be bound (${errorMessage(error)}); check --web-host and --web-port`;
    throw new WebBindError(`web page: TCP port ${port} on ${host} ${why}`);
  }
  info.port = server.addr.port;
  info.url = `http://${urlHost(host)}:${info.port}/${token && exposed ? `?token=${token}` : ""}`;
  options.log.info(`web page: ${info.url}`);
  if (exposed) {
    options.log.info(`web page exposed on ${host}: browsers need the token in the address`);
  }
  return { info, finished: server.finished };
}
