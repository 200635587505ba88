/**
 * Relays HTTP requests from stdin to a server on 127.0.0.1 of the network
 * namespace this process runs in (`ip netns exec NS deno run ...`): the
 * bench lives in the root namespace and cannot reach a loopback address
 * inside another one, and Syncthing's REST API must listen on loopback only.
 *
 * Protocol, one JSON object a line; requests may overlap (a long poll and
 * short calls at once):
 * - in:  `{"id": 1, "method": "GET", "path": "/rest/db/status?folder=f", "body": "..."}`
 * - out: `{"id": 1, "status": 200, "body": "..."}` or `{"id": 1, "error": "..."}`
 *
 * Usage: `deno run --allow-net=127.0.0.1 bench/ns_http_relay.ts PORT API_KEY`.
 * It exits when stdin closes.
 *
 * @module
 */
import { readLines } from "../src/common/lines.ts";

interface Request {
  id: number;
  method: string;
  path: string;
  body?: string;
}

const [port, apiKey] = Deno.args;
const encoder = new TextEncoder();
const out = Deno.stdout.writable.getWriter();
let writing = Promise.resolve();
const reply = (record: Record<string, unknown>) => {
  writing = writing.then(() => out.write(encoder.encode(JSON.stringify(record) + "\n")));
};

async function relay(request: Request): Promise<void> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${request.path}`, {
      method: request.method,
      headers: { "X-API-Key": apiKey ?? "", "Content-Type": "application/json" },
      body: request.body,
      // Long polls ask for at most 60 s; nothing may hang the bench beyond that.
      signal: AbortSignal.timeout(90_000),
    });
    reply({ id: request.id, status: response.status, body: await response.text() });
  } catch (error) {
    reply({ id: request.id, error: String(error) });
  }
}

for await (const line of readLines(Deno.stdin.readable)) {
  if (line.trim()) relay(JSON.parse(line) as Request);
}
await writing;
