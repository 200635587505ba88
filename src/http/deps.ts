/**
 * What {@linkcode createApp} is built from: the peer's API object and how
 * the page is reached. Tests build it from fakes.
 *
 * @module
 */
import type { PeerApi } from "../peer/api.ts";
import type { Logger } from "../common/log.ts";

/** How the page is reached, for the log line and the settings page. */
export interface WebInfo {
  /** The address to open (with `?token=` when one is needed). */
  url: string;
  /** The bound host. */
  host: string;
  port: number;
  /** Reachable from other machines (bound to anything but loopback). */
  exposed: boolean;
}

/** Everything the app needs. */
export interface AppDeps {
  /** The operations, the same object the JSONL harness drives. */
  api: PeerApi;
  /** Required token, or null when none is (loopback without `--web-token`). */
  token: string | null;
  /** The port served: names the token cookie. @default {0} */
  port?: number;
  /** Host names and addresses the `Host` header may name. @default {loopback names} */
  hosts?: () => ReadonlySet<string>;
  /** Aborted at shutdown: open event streams and long polls end. */
  signal?: AbortSignal;
  /** Where internal errors are reported. @default {silent} */
  log?: Logger;
  /** Interval of the event stream's heartbeat comment, ms. @default {15000} */
  heartbeatMs?: number;
  /** How the page is reached, when served. @default {null} */
  web?: WebInfo | null;
}

/** Names every loopback request may carry in `Host`. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "::1"]);
