/**
 * Runs a real lanspread peer process driven through its JSONL harness, for
 * integration tests: commands with answers, events as they come, signals,
 * and the peer's stderr kept for the failure message.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GameSpec, writeGame } from "./fixtures.ts";
import { readLines } from "../src/common/lines.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "main.ts");

export type HarnessRecord = Record<string, unknown> & { type: string };

export interface PeerProcessOptions {
  name: string;
  gamesDir: string;
  stateDir: string;
  connect?: string[];
  partyKey?: string;
  /** @default {0} */
  port?: number;
  /** @default {"127.0.0.1"} */
  host?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Prefix the command (e.g. `ip netns exec NS`). */
  wrapper?: string[];
  /** Keep mDNS on (only inside network namespaces!). @default {false} */
  mdns?: boolean;
  /** Flags for deno itself (e.g. --cpu-prof when profiling). */
  denoFlags?: string[];
  /** Serve the web page on a free loopback port; its address lands in `webUrl`. @default {false} */
  web?: boolean;
}

/** Options for a peer `name` whose games and state live in `t`: `<name>/`, `<name>-state/`. */
export function inTree(
  t: { path: (...parts: string[]) => string },
  name: string,
  extra: Partial<PeerProcessOptions> = {},
): PeerProcessOptions {
  return { name, gamesDir: t.path(name), stateDir: t.path(`${name}-state`), ...extra };
}

/** A command answered with an error record. */
export class HarnessError extends Error {
  constructor(readonly record: HarnessRecord) {
    super(`${record.code}: ${record.message}`);
    this.name = "HarnessError";
  }
}

export class PeerProcess {
  readonly options: PeerProcessOptions;
  readonly records: HarnessRecord[] = [];
  stderr = "";
  readonly exited: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #nextId = 1;
  #exitStatus: Deno.CommandStatus | null = null;
  #waiters = new Set<
    { match: (r: HarnessRecord) => boolean; resolve: (r: HarnessRecord) => void }
  >();
  #readers: Promise<void>[];
  peerId = "";
  addr = "";
  /** The web page's address when started with `web` (from `status`), else "". */
  webUrl = "";

  private constructor(options: PeerProcessOptions) {
    this.options = options;
    const args = [
      "run",
      "--unstable-net",
      "--unstable-raw-imports",
      "--allow-all",
      ...(options.denoFlags ?? []),
      MAIN,
      "--jsonl",
      ...(options.web ? ["--web-port=0", "--web-host=127.0.0.1", "--no-open"] : ["--no-web"]),
      "--log-level=debug",
      `--name=${options.name}`,
      `--games-dir=${options.gamesDir}`,
      `--state-dir=${options.stateDir}`,
      `--host=${options.host ?? "127.0.0.1"}`,
      `--port=${options.port ?? 0}`,
      ...(options.mdns ? [] : ["--no-mdns"]),
      ...(options.connect ?? []).map((a) => `--connect=${a}`),
      ...(options.partyKey ? [`--party-key=${options.partyKey}`] : []),
      ...(options.extraArgs ?? []),
    ];
    const [cmd, ...prefix] = options.wrapper?.length
      ? [...options.wrapper, Deno.execPath()]
      : [Deno.execPath()];
    this.#child = new Deno.Command(cmd!, {
      args: [...prefix, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...options.env },
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#readers = [this.#readStdout(), this.#readStderr()];
    this.exited = this.#child.status.then(async (status) => {
      this.#exitStatus = status;
      await Promise.allSettled(this.#readers);
      return status;
    });
  }

  /** Starts a peer and waits for its `local-peer-ready` event. */
  static async start(options: PeerProcessOptions, timeoutMs = 20_000): Promise<PeerProcess> {
    const peer = new PeerProcess(options);
    try {
      const ready = await peer.waitEvent("local-peer-ready", () => true, timeoutMs);
      peer.peerId = String(ready.peerId);
      peer.addr = String(ready.addr);
      if (options.web) {
        const web = (await peer.command("status")).web as { url?: string } | null;
        peer.webUrl = web?.url ?? "";
        if (!peer.webUrl) throw new Error(`${options.name}: no web page in status`);
      }
    } catch (error) {
      await peer.kill("SIGKILL");
      throw error;
    }
    return peer;
  }

  async #readStdout(): Promise<void> {
    // A killed peer's half-written last record is no record.
    for await (const line of readLines(this.#child.stdout, { unterminated: false })) {
      if (line.trim()) this.#onRecord(JSON.parse(line) as HarnessRecord);
    }
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stderr) {
      this.stderr += decoder.decode(chunk, { stream: true });
      // Keep the tail only: a long test must not grow without bound.
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    }
  }

  #onRecord(record: HarnessRecord): void {
    this.records.push(record);
    for (const waiter of this.#waiters) {
      if (waiter.match(record)) {
        this.#waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  }

  /** The first record (already received or future) that matches. */
  waitRecord(
    match: (r: HarnessRecord) => boolean,
    timeoutMs: number,
    what: string,
    since = 0,
  ): Promise<HarnessRecord> {
    const seen = this.records.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (r: HarnessRecord) => (clearTimeout(timer), resolve(r)) };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`${this.options.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The first event named `event` (since record index `since`) satisfying `match`. */
  waitEvent(
    event: string,
    match: (r: HarnessRecord) => boolean = () => true,
    timeoutMs = 10_000,
    since = 0,
  ): Promise<HarnessRecord> {
    return this.waitRecord(
      (r) => r.type === "event" && r.event === event && match(r),
      timeoutMs,
      `event ${event}`,
      since,
    );
  }

  /** Sends a raw line (for hostile-input tests). */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Runs a command; resolves with its result record, rejects with HarnessError. */
  async command(
    cmd: string,
    fields: Record<string, unknown> = {},
    timeoutMs = 15_000,
  ): Promise<HarnessRecord> {
    const id = `c${this.#nextId++}`;
    const answer = this.waitRecord(
      (r) => (r.type === "result" || r.type === "error") && r.id === id,
      timeoutMs,
      `answer to ${cmd}`,
      this.records.length,
    );
    try {
      await this.send(JSON.stringify({ cmd, id, ...fields }));
    } catch (error) {
      answer.catch(() => {});
      throw error;
    }
    const record = await answer;
    if (record.type === "error") throw new HarnessError(record);
    return record;
  }

  /** Polls `probe` until it returns a value that is not undefined. */
  async until<T>(
    probe: () => Promise<T | undefined> | T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const value = await Promise.resolve().then(probe).catch((e) => (last = e, undefined));
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${this.options.name}: ${what} not reached in ${timeoutMs} ms (${
        last ?? ""
      })\n${this.tail()}`,
    );
  }

  async peers(): Promise<Record<string, unknown>[]> {
    return (await this.command("list-peers")).peers as Record<string, unknown>[];
  }

  async games(): Promise<Record<string, unknown>[]> {
    return (await this.command("list-games")).games as Record<string, unknown>[];
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The last lines of the peer's stderr, for failure messages. */
  tail(lines = 40): string {
    return `--- ${this.options.name} stderr ---\n` +
      this.stderr.split("\n").slice(-lines).join("\n");
  }

  /** Sends a signal (ignores an already exited process). */
  signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.signal(signal);
    await this.#stdin.close().catch(() => {});
    return await this.exited;
  }

  /** Asks for a clean shutdown through the harness and waits for the exit. */
  async shutdown(timeoutMs = 10_000): Promise<Deno.CommandStatus> {
    if (this.#exitStatus) return this.#exitStatus;
    const timer = setTimeout(() => this.signal("SIGKILL"), timeoutMs);
    try {
      await this.command("shutdown", {}, timeoutMs).catch(() => {});
      await this.#stdin.close().catch(() => {});
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts peer `name` of `t` seeding `spec` (written first) and waits until it has hashed it. */
export async function startSeed(
  t: { path: (...parts: string[]) => string },
  name: string,
  spec: GameSpec,
  extra: Partial<PeerProcessOptions> = {},
): Promise<PeerProcess> {
  await writeGame(t.path(name), spec);
  const seed = await PeerProcess.start(inTree(t, name, extra));
  await seed.waitEvent("library-hashed", (e) => e.game === spec.id, 60_000);
  return seed;
}

/** Waits until `peer` lists `game` at `version` from at least `count` sources. */
export async function offered(
  peer: PeerProcess,
  game: string,
  version: string,
  count = 1,
): Promise<void> {
  await peer.until(
    async () => {
      const row = (await peer.games()).find((g) => g.id === game);
      const ok = row?.latestVersion === version && (row.sources as string[]).length >= count;
      return ok ? true : undefined;
    },
    20_000,
    `${game} ${version} offered by ${count}`,
  );
}
