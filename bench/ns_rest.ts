/**
 * A client for an HTTP API on 127.0.0.1 inside a network namespace (Syncthing's
 * REST API), through a relay process in that namespace (ns_http_relay.ts): the
 * bench runs in the root namespace and cannot reach another one's loopback.
 *
 * @module
 */
import { join } from "node:path";
import type { TestNode } from "../tests/netns.ts";
import { ROOT } from "../tests/peer_process.ts";
import { readLines } from "../src/common/lines.ts";

/** A REST client for an API on 127.0.0.1 inside `node` (through ns_http_relay.ts). */
export class Rest {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #waiting = new Map<number, (r: { status?: number; body?: string; error?: string }) => void>();
  #next = 1;

  constructor(node: TestNode, port: number, apiKey: string) {
    const relay = join(ROOT, "bench/ns_http_relay.ts");
    this.#child = node.spawn([
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      relay,
      `${port}`,
      apiKey,
    ]);
    this.#writer = this.#child.stdin.getWriter();
    this.#read();
    this.#child.stderr.cancel().catch(() => {});
  }

  async #read(): Promise<void> {
    for await (const line of readLines(this.#child.stdout)) {
      const record = JSON.parse(line);
      this.#waiting.get(record.id)?.(record);
      this.#waiting.delete(record.id);
    }
  }

  /** The parsed JSON answer (or text), or an error for a failed call or a non-2xx status. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const id = this.#next++;
    const answer = new Promise<{ status?: number; body?: string; error?: string }>((resolve) =>
      this.#waiting.set(id, resolve)
    );
    const line = JSON.stringify({ id, method, path, body: body && JSON.stringify(body) });
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    const r = await answer;
    if (r.error || !r.status || r.status >= 300) {
      throw new Error(`${method} ${path}: ${r.error ?? `${r.status} ${r.body}`}`);
    }
    try {
      return JSON.parse(r.body!);
    } catch {
      return r.body;
    }
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#child.status;
  }
}

/** Polls `probe` every `everyMs` until it returns a value; throws after `timeoutMs`. */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "";
  while (Date.now() < deadline) {
    const value = await probe().catch((e) => (last = e, undefined));
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms ${last}`);
}
