/**
 * `GET /api/v1/events`: the peer's event log over HTTP, two ways.
 *
 * - Server-Sent Events (WHATWG HTML, "Server-sent events") when the client
 *   accepts `text/event-stream`: each event is a message whose `id:` is its
 *   sequence number and whose data is the harness's event record. A client
 *   that reconnects with `Last-Event-ID` (or starts with `?since=N`) gets
 *   what it missed; when the log no longer holds all of it (or the id is from
 *   an earlier run of the peer) it gets one `snapshot` event with the state
 *   instead. A comment line every `heartbeatMs` keeps proxies and the
 *   client's liveness check content. A client that falls too far behind is
 *   disconnected and resumes from its last id: memory stays bounded.
 * - JSON long-poll for scripts otherwise: `?since=N&timeoutMs=T` answers at
 *   once with the events after N, or waits up to T for the next one.
 *
 * @module
 */
import type { Context } from "hono";
import type { EventLog, LoggedEvent } from "../common/events.ts";
import { eventRecord } from "../common/events.ts";
import type { PeerApi } from "../peer/api.ts";
import { HttpError } from "./status.ts";

/** Longest long-poll wait a client may ask for. */
export const MAX_POLL_MS = 120_000;
/** Events in one long-poll answer; `more` says when there are others. */
export const MAX_POLL_EVENTS = 1000;
/** Bytes queued for one slow stream before it is dropped (it resumes by Last-Event-ID). */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** Everything a client needs after a gap: the state now and the id it reflects. */
export function snapshot(api: PeerApi) {
  return {
    lastId: api.events.lastId,
    status: api.status(),
    peers: api.listPeers(),
    games: api.listGames(),
    downloads: api.downloads(),
  };
}

/** Whether events after `since` are missing from the log (dropped, or another run's ids). */
export function hasGap(log: EventLog, since: number): boolean {
  if (since > log.lastId) return true;
  if (since === log.lastId) return false;
  const first = log.since(since)[0];
  return first === undefined || first.id !== since + 1;
}

function intParam(value: string | undefined, name: string, max: number): number | null {
  if (value === undefined || value === "") return null;
  if (!/^\d{1,16}$/.test(value) || Number(value) > max) {
    throw new HttpError(400, "bad-request", `${name} must be a whole number from 0 to ${max}`);
  }
  return Number(value);
}

const encoder = new TextEncoder();

/** Encodes each event once, however many streams send it. */
function encoderCache() {
  let last: LoggedEvent | null = null;
  let bytes = new Uint8Array();
  return (entry: LoggedEvent): Uint8Array => {
    if (entry !== last) {
      last = entry;
      bytes = encoder.encode(`id: ${entry.id}\ndata: ${JSON.stringify(eventRecord(entry))}\n\n`);
    }
    return bytes;
  };
}

/** Options of the event routes. */
export interface EventRouteOptions {
  api: PeerApi;
  /** Aborted at shutdown. */
  signal?: AbortSignal;
  /** @default {15000} */
  heartbeatMs?: number;
}

/** The handler of `GET /api/v1/events`. */
export function eventsHandler(options: EventRouteOptions) {
  const encode = encoderCache();
  return (c: Context): Response | Promise<Response> => {
    const since = intParam(c.req.query("since"), "since", Number.MAX_SAFE_INTEGER);
    if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
      const lastEventId = c.req.header("last-event-id");
      const resume = lastEventId !== undefined
        ? intParam(lastEventId.trim(), "Last-Event-ID", Number.MAX_SAFE_INTEGER)
        : since;
      return sse(options, resume, encode);
    }
    const timeoutMs = intParam(c.req.query("timeoutMs"), "timeoutMs", MAX_POLL_MS) ?? 25_000;
    return longPoll(c, options, since ?? 0, timeoutMs);
  };
}

function sse(
  options: EventRouteOptions,
  since: number | null,
  encode: (entry: LoggedEvent) => Uint8Array,
): Response {
  const { api } = options;
  const log = api.events;
  // A client that goes away cancels the stream (cancel below); the request's own
  // signal is not used: Deno aborts it on successful responses too.
  const done = options.signal ?? new AbortController().signal;
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (bytes: Uint8Array) => {
        if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) return stop();
        controller.enqueue(bytes);
      };
      const stop = () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // Already closed or cancelled.
        }
      };
      send(encoder.encode("retry: 2000\n\n"));
      if (since !== null && hasGap(log, since)) {
        const data = JSON.stringify(snapshot(api));
        send(encoder.encode(`id: ${log.lastId}\nevent: snapshot\ndata: ${data}\n\n`));
      } else if (since !== null) {
        for (const entry of log.since(since)) send(encode(entry));
      }
      const unsubscribe = log.subscribe((entry) => send(encode(entry)));
      const heartbeat = setInterval(
        () => send(encoder.encode(": heartbeat\n\n")),
        options.heartbeatMs ?? 15_000,
      );
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        done.removeEventListener("abort", stop);
      };
      if (done.aborted) return stop();
      done.addEventListener("abort", stop, { once: true });
    },
    cancel() {
      cleanup();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    },
  });
}

async function longPoll(
  c: Context,
  options: EventRouteOptions,
  since: number,
  timeoutMs: number,
): Promise<Response> {
  const log = options.api.events;
  if (hasGap(log, since) && since !== 0) {
    return c.json({ lastId: log.lastId, gap: true, snapshot: snapshot(options.api), events: [] });
  }
  if (log.lastId <= since && timeoutMs > 0) {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (options.signal) signals.push(options.signal);
    await log.waitFor(() => true, { signal: AbortSignal.any(signals) }).catch(() => {});
  }
  const events = log.since(since);
  const page = events.slice(0, MAX_POLL_EVENTS);
  return c.json({
    lastId: page.at(-1)?.id ?? Math.max(since, 0),
    gap: false,
    more: events.length > page.length,
    events: page.map(eventRecord),
  });
}
