/**
 * Drives `tests/fixtures/mdns_node.ts` processes inside a {@linkcode Testbed}
 * namespace: start one, read its JSON events, wait for one, stop it. Shared
 * by `mdns_netns_test.ts` and `bench/mdns_bench.ts`.
 *
 * @module
 */
import type { TestNode } from "./netns.ts";

/** One event line of the fixture. */
export interface NodeEvent {
  event: string;
  t: number;
  [field: string]: unknown;
}

const FIXTURE = new URL("./fixtures/mdns_node.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/** A running fixture process. */
export class MdnsNodeProcess {
  readonly events: NodeEvent[] = [];
  readonly stderr: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  #waiters = new Set<() => void>();

  constructor(node: TestNode, args: string[], env: Record<string, string> = {}) {
    this.#child = node.spawn(["deno", "run", "--unstable-net", "-A", FIXTURE, ...args], { env });
    this.#writer = this.#child.stdin.getWriter();
    this.#reading = Promise.all([
      this.#lines(this.#child.stdout, (line) => {
        try {
          this.events.push(JSON.parse(line));
        } catch {
          this.stderr.push(`(stdout) ${line}`);
        }
        for (const wake of this.#waiters) wake();
      }),
      this.#lines(this.#child.stderr, (line) => this.stderr.push(line)),
    ]).then(() => {});
  }

  /** Sends a command line (`rev 3`, `status`, `stop`). */
  async command(line: string): Promise<void> {
    await this.#writer.write(encoder.encode(line + "\n"));
  }

  /** Resolves with the first event (seen or future) matching `match`; rejects after `timeoutMs`. */
  waitFor(match: (e: NodeEvent) => boolean, timeoutMs: number, what = "event"): Promise<NodeEvent> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const hit = this.events.find(match);
        if (!hit) return;
        cleanup();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${
              this.stderr.join("\n")
            }`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }

  /** Peer ids currently known, from the event history. */
  peerIds(): Set<string> {
    const ids = new Set<string>();
    for (const e of this.events) {
      if (e.event === "peer") ids.add((e.peer as { peerId: string }).peerId);
      if (e.event === "lost") ids.delete(e.peerId as string);
    }
    return ids;
  }

  /** Asks for a clean stop and waits for the process to exit (killing it after `timeoutMs`). */
  async stop(timeoutMs = 5000): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      await this.#writer.write(encoder.encode("stop\n")).catch(() => {});
      await this.#writer.close().catch(() => {});
      const status = await this.#child.status;
      await this.#reading;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills without goodbyes. */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* gone */ }
  }

  /** Kills if still running and waits for everything to end (for `finally` blocks). */
  async close(): Promise<void> {
    this.kill();
    await this.#writer.close().catch(() => {});
    await this.#child.status;
    await this.#reading;
  }

  async #lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(line);
    }
    if (buffer.trim()) onLine(buffer);
  }
}
