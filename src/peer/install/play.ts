/**
 * What `play` starts (ARCHITECTURE.md "Install: transactions and recovery"): a game's start, server and setup commands
 * come from `game.json` (`start`, `server`, `setup`: paths under `local/`),
 * else the seed project's conventions under `local/`: `game_start.cmd`,
 * `server_start.cmd`, `game_setup.cmd` on Windows, `start.sh`,
 * `server_start.sh`, `setup.sh` elsewhere. Windows `.cmd`/`.bat` files run
 * through `cmd /c`, shell scripts through `sh`, anything else directly;
 * each in its own folder, detached, with no input or output of ours.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { CommandError } from "../../common/errors.ts";
import type { Logger } from "../../common/log.ts";
import { lstatOrNull } from "../../common/owned_dir.ts";
import { wirePathError } from "../library/mod.ts";
import { stampFiles } from "./stamp.ts";

/** How long the first play waits for `setup` before starting the game anyway. */
const SETUP_WAIT_MS = 120_000;

export type CommandKind = "start" | "server" | "setup";

const CONVENTIONS: Record<CommandKind, { windows: string; other: string }> = {
  start: { windows: "game_start.cmd", other: "start.sh" },
  server: { windows: "server_start.cmd", other: "server_start.sh" },
  setup: { windows: "game_setup.cmd", other: "setup.sh" },
};

/** The file of `kind` under `<gameDir>/local/`, or null when the game has none. */
export async function findCommand(
  gameDir: string,
  kind: CommandKind,
  os: string = Deno.build.os,
): Promise<string | null> {
  const local = join(gameDir, "local");
  const declared = await declaredCommand(gameDir, kind);
  const relative = declared ?? CONVENTIONS[kind][os === "windows" ? "windows" : "other"];
  const path = join(local, ...relative.split("/"));
  const info = await lstatOrNull(path);
  return info?.isFile ? path : null;
}

/** `game.json`'s path for `kind`, when it is a safe relative path. */
async function declaredCommand(gameDir: string, kind: CommandKind): Promise<string | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(join(gameDir, "game.json")));
    const value = meta?.[kind];
    if (typeof value !== "string") return null;
    const path = value.replaceAll("\\", "/").replace(/^local\//i, "");
    return wirePathError(path) ? null : path;
  } catch {
    return null;
  }
}

/** The program and arguments that run `script` on `os`. */
export function commandLine(script: string, os: string = Deno.build.os): [string, string[]] {
  const lower = script.toLowerCase();
  if (os === "windows" && (lower.endsWith(".cmd") || lower.endsWith(".bat"))) {
    return ["cmd", ["/c", script]];
  }
  if (lower.endsWith(".sh")) return ["sh", [script]];
  return [script, []];
}

/** Starts `script` detached in its own folder; the child (for its pid and exit status). */
export function launch(script: string): Deno.ChildProcess {
  const [program, args] = commandLine(script);
  const child = new Deno.Command(program, {
    args,
    cwd: dirname(script),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  return child;
}

/**
 * The first play after an install: the player name and language go into the
 * game's config files (stamp.ts), then `setup` runs (waited for, up to two minutes).
 */
export async function firstPlay(
  gameDir: string,
  settings: { playerName: string; language: string },
  log: Logger,
): Promise<void> {
  const stamped = await stampFiles(join(gameDir, "local"), settings);
  if (stamped.length) log.info(`wrote the player name and language into ${stamped.length} files`);
  const setup = await findCommand(gameDir, "setup");
  if (!setup) return;
  log.info("running setup once");
  const child = launch(setup);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = await Promise.race([
    child.status,
    new Promise<null>((r) => timer = setTimeout(r, SETUP_WAIT_MS, null)),
  ]).finally(() => clearTimeout(timer));
  if (waited === null) log.warn("setup still runs; starting the game anyway");
  else if (!waited.success) log.warn(`setup exited with ${waited.code}`);
}

/** Whether each installed game (by folder) has a start and a server command; filled lazily. */
export class CommandCache {
  #known = new Map<string, { playable: boolean; hasServer: boolean }>();

  /** What is known of `gameDir`; when nothing yet, looks it up in the background. */
  get(gameDir: string): { playable: boolean; hasServer: boolean } | undefined {
    const known = this.#known.get(gameDir);
    if (!known) void this.refresh(gameDir);
    return known;
  }

  async refresh(gameDir: string): Promise<void> {
    const [start, server] = await Promise.all([
      findCommand(gameDir, "start").catch(() => null),
      findCommand(gameDir, "server").catch(() => null),
    ]);
    this.#known.set(gameDir, { playable: start !== null, hasServer: server !== null });
  }

  forget(gameDir: string): void {
    this.#known.delete(gameDir);
  }
}

/**
 * Starts the game in `gameDir` (or its server), detached; with `firstPlay`,
 * stamps the player name and language and runs `setup` first. Throws
 * `not-installed` or `not-found` (no such command).
 */
export async function startGame(options: {
  gameDir: string;
  server: boolean;
  firstPlay: { playerName: string; language: string } | null;
  log: Logger;
}): Promise<Deno.ChildProcess> {
  const { gameDir, server } = options;
  if (!(await lstatOrNull(join(gameDir, "local")))?.isDirectory) {
    throw new CommandError("not-installed", `${basename(gameDir)} is not installed`);
  }
  const script = await findCommand(gameDir, server ? "server" : "start");
  if (!script) {
    throw new CommandError(
      "not-found",
      `${gameDir} has no ${server ? "server " : ""}start command`,
    );
  }
  if (options.firstPlay) await firstPlay(gameDir, options.firstPlay, options.log);
  return launch(script);
}
