/**
 * The JSONL harness (README "JSONL harness"): one JSON command per line in, one JSON
 * record per line out. Commands run concurrently (a `wait-peers` does not
 * hold up a `status`); each answer echoes the command's `id`. Every event of
 * the log is written as it happens, starting with those already logged.
 *
 * @module
 */
import { z } from "zod";
import { eventRecord } from "../common/events.ts";
import { type Logger } from "../common/log.ts";
import { errorCode, errorMessage } from "../common/errors.ts";
import { TOO_LONG_LINE } from "../common/lines.ts";
import type { PeerApi } from "./api.ts";
import { SettingsPatch } from "./settings.ts";

/** Longest accepted command line; longer ones are refused, not buffered. */
export const MAX_LINE_BYTES = 1024 * 1024;

const Id = z.union([z.string().max(200), z.number()]).optional();
const Command = z.discriminatedUnion("cmd", [
  z.object({ cmd: z.literal("status"), id: Id }),
  z.object({ cmd: z.literal("list-peers"), id: Id }),
  z.object({ cmd: z.literal("list-games"), id: Id }),
  z.object({ cmd: z.literal("connect"), id: Id, addr: z.string().min(1).max(300) }),
  z.object({
    cmd: z.literal("download"),
    id: Id,
    game: z.string().min(1).max(64),
    install: z.boolean().default(false),
  }),
  z.object({ cmd: z.literal("cancel"), id: Id, game: z.string().min(1).max(64) }),
  z.object({ cmd: z.literal("install"), id: Id, game: z.string().min(1).max(64) }),
  z.object({ cmd: z.literal("uninstall"), id: Id, game: z.string().min(1).max(64) }),
  z.object({ cmd: z.literal("remove"), id: Id, game: z.string().min(1).max(64) }),
  z.object({ cmd: z.literal("set-game-dir"), id: Id, path: z.string().min(1).max(4096) }),
  z.object({
    cmd: z.literal("wait-peers"),
    id: Id,
    count: z.number().int().min(0).max(10_000),
    timeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
  }),
  z.object({
    cmd: z.literal("play"),
    id: Id,
    game: z.string().min(1).max(64),
    server: z.boolean().default(false),
  }),
  z.object({ cmd: z.literal("settings"), id: Id, ...SettingsPatch.shape }),
  z.object({ cmd: z.literal("shutdown"), id: Id }),
]);
type Command = z.infer<typeof Command>;

export type HarnessRecord = Record<string, unknown>;

export interface HarnessOptions {
  api: PeerApi;
  /** Stops the peer; the harness calls it at `shutdown` or the end of input. */
  stop: () => Promise<void>;
  lines: AsyncIterable<string>;
  write: (record: HarnessRecord) => void;
  log: Logger;
}

/**
 * Runs the harness until `shutdown` or the end of input (a driver that goes
 * away takes its peer with it); both stop the runtime before resolving.
 */
export async function runHarness(options: HarnessOptions): Promise<void> {
  const { api, write } = options;
  for (const entry of api.events.since(0)) write(eventRecord(entry));
  const unsubscribe = api.events.subscribe((entry) => write(eventRecord(entry)));
  const pending = new Set<Promise<void>>();
  try {
    for await (const line of options.lines) {
      if (!line.trim()) continue;
      const job = handleLine(line, options);
      pending.add(job);
      job.finally(() => pending.delete(job));
      if (isShutdown(line)) break;
    }
  } finally {
    // Stopping first ends every pending command (they answer shutting-down), then their
    // answers are written before the peer is gone.
    const stopped = options.stop();
    await Promise.allSettled([...pending]);
    await stopped;
    unsubscribe();
  }
}

function isShutdown(line: string): boolean {
  try {
    return JSON.parse(line)?.cmd === "shutdown";
  } catch {
    return false;
  }
}

async function handleLine(line: string, options: HarnessOptions): Promise<void> {
  const { write } = options;
  if (line === TOO_LONG_LINE) {
    write({
      type: "error",
      code: "bad-request",
      message: `line longer than ${MAX_LINE_BYTES} bytes`,
    });
    return;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    write({ type: "error", code: "bad-request", message: "line is not JSON" });
    return;
  }
  const rawCmd = typeof raw === "object" && raw !== null
    ? (raw as { cmd?: unknown }).cmd
    : undefined;
  const rawId = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  const echo = {
    ...(typeof rawCmd === "string" ? { cmd: rawCmd.slice(0, 64) } : {}),
    ...(typeof rawId === "string" || typeof rawId === "number" ? { id: rawId } : {}),
  };
  const parsed = Command.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    const message = typeof rawCmd === "string" && issue?.path[0] === "cmd"
      ? `unknown command "${rawCmd.slice(0, 64)}"`
      : `bad command: ${where}${issue?.message ?? "invalid"}`;
    write({ type: "error", ...echo, code: "bad-request", message });
    return;
  }
  try {
    const result = await execute(parsed.data, options.api);
    write({ type: "result", ...echo, ...result });
  } catch (error) {
    const code = errorCode(error);
    if (code === "internal") options.log.error(`${parsed.data.cmd}: ${errorMessage(error)}`);
    write({ type: "error", ...echo, code, message: errorMessage(error) });
  }
}

async function execute(command: Command, api: PeerApi): Promise<HarnessRecord> {
  switch (command.cmd) {
    case "status":
      return api.status();
    case "list-peers":
      return { peers: api.listPeers() };
    case "list-games":
      return { games: api.listGames() };
    case "connect": {
      const peer = await api.connect(command.addr);
      return { peerId: peer.peerId, name: peer.name, addr: peer.addr, state: peer.state };
    }
    case "wait-peers":
      return { peers: await api.waitPeers(command.count, command.timeoutMs) };
    case "set-game-dir":
      return { gamesDir: await api.setGameDir(command.path) };
    case "download":
      return await api.download(command.game, { install: command.install });
    case "cancel":
      await api.cancel(command.game);
      return { game: command.game };
    case "install":
      return await api.install(command.game);
    case "uninstall":
      return await api.uninstall(command.game);
    case "remove":
      return await api.remove(command.game);
    case "play": {
      const started = await api.play(command.game, { server: command.server });
      return { ...started };
    }
    case "settings": {
      const { cmd: _cmd, id: _id, ...patch } = command;
      const settings = Object.keys(patch).length ? await api.updateSettings(patch) : api.settings();
      return { ...settings };
    }
    case "shutdown":
      return {};
  }
}
