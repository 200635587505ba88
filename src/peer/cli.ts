/**
 * Command-line parsing (README "Flags"). Pure: takes the arguments and the
 * environment, returns options or a one-line error; main.ts turns the error
 * into exit code 2. No stack trace ever reaches a user for a bad flag.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_PORT, lineTextError } from "../wire/protocol.ts";
import { DEFAULT_PARTY_KEY } from "../trust/party.ts";
import { LOG_LEVELS, type LogLevel } from "../common/log.ts";
import { parseAddr } from "./sync/peer_table.ts";
import type { RuntimeOptions } from "./runtime.ts";
import type { SettingName } from "./settings.ts";
import { errorMessage } from "../common/errors.ts";

/** The default port of the web page (README "The web page"). */
export const DEFAULT_WEB_PORT = 47880;
/** The default address of the web page: this computer only. */
export const DEFAULT_WEB_HOST = "127.0.0.1";

/** What the command line sets: the runtime's settings plus the program's own. */
export interface CliOptions extends
  Required<
    Pick<
      RuntimeOptions,
      "gamesDir" | "stateDir" | "name" | "host" | "port" | "partyKey" | "connect" | "mdns"
    >
  >,
  Pick<RuntimeOptions, "uploadLimit" | "downloadLimit" | "uploadsPerPeer" | "explicitSettings"> {
  /** True when the party key is the built-in open one. */
  openParty: boolean;
  web: boolean;
  webPort: number;
  /** Address the page binds; anything but loopback needs a token. */
  webHost: string;
  /** `--web-token`, or null (one is generated when the page is exposed). */
  webToken: string | null;
  /** Open the page in the default browser at start (desktop sessions only). */
  open: boolean;
  jsonl: boolean;
  logLevel: LogLevel;
}

export type CliResult =
  | { kind: "run"; options: CliOptions }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "error"; message: string };

/** Where the program lives, for portable defaults. */
export interface CliContext {
  env: (name: string) => string | undefined;
  /** Folder of the executable when compiled, else the current directory. */
  homeDir: string;
  hostname: string;
}

export const USAGE = `lanspread - share game libraries between machines on a LAN

Usage: lanspread [options]

  --games-dir PATH      games folder (env LANSPREAD_GAMES_DIR; default: ./games beside the program)
  --state-dir PATH      identity, index, caches (env LANSPREAD_STATE_DIR; default: ./state beside the program)
  --name NAME           name shown to other peers (default: this computer's name)
  --host ADDR           address to listen on (default: 0.0.0.0, every interface)
  --port N              UDP port for peers, 0 = any free port (default: ${DEFAULT_PORT})
  --party-key KEY       private party passphrase (env LANSPREAD_PARTY_KEY; default: open party)
  --connect HOST:PORT   peer to connect to and keep connected; repeatable
  --no-mdns             do not discover peers or announce this one on the LAN
  --no-web              do not serve the web page
  --web-port N          TCP port of the web page, 0 = any free port (default: ${DEFAULT_WEB_PORT})
  --web-host ADDR       address of the web page (default: ${DEFAULT_WEB_HOST}, this computer only);
                        any other address requires a token
  --web-token TOKEN     token for the web page (env LANSPREAD_WEB_TOKEN; default: none on
                        loopback, else one generated into the state folder and printed)
  --no-open             do not open the web page in a browser at start
  --upload-limit MB/S   cap on upload speed, all peers together (default: none)
  --download-limit MB/S cap on download speed, all downloads together (default: none)
  --uploads-per-peer N  blocks answers sent to one peer at once (default: 8)
  --jsonl               JSON lines harness on stdin/stdout (logs go to stderr)
  --log-level LEVEL     debug, info, warn, error or silent (default: info)
  --help                this text
  --version             print the version
`;

const FLAGS = {
  "games-dir": { type: "string" },
  "state-dir": { type: "string" },
  name: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "party-key": { type: "string" },
  connect: { type: "string", multiple: true },
  "no-mdns": { type: "boolean" },
  "no-web": { type: "boolean" },
  "web-port": { type: "string" },
  "web-host": { type: "string" },
  "web-token": { type: "string" },
  "no-open": { type: "boolean" },
  jsonl: { type: "boolean" },
  "upload-limit": { type: "string" },
  "download-limit": { type: "string" },
  "uploads-per-peer": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

class CliError extends Error {}

function port(flag: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535 || Number(value) < min) {
    throw new CliError(`--${flag} must be a port number from ${min} to 65535, not "${value}"`);
  }
  return Number(value);
}

function rate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 100_000) {
    throw new CliError(`--${flag} must be a speed in MB/s greater than 0, not "${value}"`);
  }
  return n;
}

function count(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new CliError(`--${flag} must be a whole number from 1 to ${max}, not "${value}"`);
  }
  return Number(value);
}

function text(flag: string, value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!trimmed) throw new CliError(`--${flag} must not be empty`);
  if (trimmed.length > max) throw new CliError(`--${flag} is longer than ${max} characters`);
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new CliError(`--${flag} must not contain control characters`);
  }
  return trimmed;
}

/** A name peers accept (protocol.ts): no C1 controls or bidi overrides either. */
function peerName(name: string | undefined): string | undefined {
  const problem = name === undefined ? null : lineTextError(name);
  if (problem) throw new CliError(`--name ${problem}`);
  return name;
}

/** Parses `args`; never throws. */
export function parseCli(args: string[], ctx: CliContext): CliResult {
  let values;
  try {
    ({ values } = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    return {
      kind: "error",
      message: errorMessage(error).split("\n")[0]!.replace(/\. To specify.*$/, ""),
    };
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  try {
    return { kind: "run", options: build(values, ctx) };
  } catch (error) {
    if (error instanceof CliError) return { kind: "error", message: error.message };
    throw error;
  }
}

function build(values: Record<string, unknown>, ctx: CliContext): CliOptions {
  const str = (k: string) => values[k] as string | undefined;
  const level = str("log-level") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, not "${level}"`);
  }
  const connect = (values.connect as string[] | undefined) ?? [];
  for (const addr of connect) {
    if (!parseAddr(addr)) throw new CliError(`--connect needs HOST:PORT, not "${addr}"`);
  }
  const host = text("host", str("host"), 255) ?? "0.0.0.0";
  if (!/^[0-9A-Za-z.:%_-]+$/.test(host)) throw new CliError(`--host is not an address: "${host}"`);
  const webHost = text("web-host", str("web-host"), 255) ?? DEFAULT_WEB_HOST;
  if (!/^[0-9A-Za-z.:%_\[\]-]+$/.test(webHost)) {
    throw new CliError(`--web-host is not an address: "${webHost}"`);
  }
  const webToken = str("web-token") ?? ctx.env("LANSPREAD_WEB_TOKEN");
  if (webToken !== undefined && !/^[A-Za-z0-9._~+\/=-]{16,256}$/.test(webToken)) {
    throw new CliError(
      "--web-token must be 16 to 256 letters, digits or ._~+/=- (no spaces)",
    );
  }
  const partyFlag = str("party-key") ?? ctx.env("LANSPREAD_PARTY_KEY");
  const partyKey = partyFlag === undefined ? undefined : text("party-key", partyFlag, 1024);
  const dir = (flag: string, env: string, fallback: string) => {
    const value = text(flag, str(flag) ?? ctx.env(env), 4096);
    return resolve(value ?? join(ctx.homeDir, fallback));
  };
  return {
    gamesDir: dir("games-dir", "LANSPREAD_GAMES_DIR", "games"),
    stateDir: dir("state-dir", "LANSPREAD_STATE_DIR", "state"),
    name: peerName(text("name", str("name"), 64)) ?? (ctx.hostname.slice(0, 64) || "lanspread"),
    host,
    port: port("port", str("port"), DEFAULT_PORT),
    partyKey: partyKey ?? DEFAULT_PARTY_KEY,
    openParty: partyKey === undefined,
    connect,
    mdns: !values["no-mdns"],
    web: !values["no-web"],
    webPort: port("web-port", str("web-port"), DEFAULT_WEB_PORT),
    webHost,
    webToken: webToken ?? null,
    open: !values["no-open"],
    jsonl: Boolean(values.jsonl),
    logLevel: level as LogLevel,
    uploadLimit: rate("upload-limit", str("upload-limit")),
    downloadLimit: rate("download-limit", str("download-limit")),
    uploadsPerPeer: count("uploads-per-peer", str("uploads-per-peer"), 8, 1000),
    // A flag given wins over what the user stored with `settings` (README, "Flags").
    explicitSettings: SETTING_FLAGS.filter(([flag]) => values[flag] !== undefined)
      .map(([, setting]) => setting),
  };
}

/** Flags that set a run-time setting too. */
const SETTING_FLAGS: [string, SettingName][] = [
  ["name", "name"],
  ["upload-limit", "uploadLimit"],
  ["download-limit", "downloadLimit"],
  ["uploads-per-peer", "uploadsPerPeer"],
];

/** The folder portable defaults live in: beside a compiled executable, else the cwd. */
export function homeDir(): string {
  return Deno.build.standalone ? dirname(Deno.execPath()) : Deno.cwd();
}
