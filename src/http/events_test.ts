import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { EventLog } from "../common/events.ts";
import { createApp } from "./app.tsx";
import { fakeApi } from "../peer/_test_api.ts";
import { get } from "./_test_util.ts";
import { hasGap } from "./events.ts";

interface Message {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads server-sent messages until `enough` says stop, then cancels the stream. */
async function readSse(res: Response, enough: (seen: Message[]) => boolean): Promise<Message[]> {
  assertEquals(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: Message[] = [];
  let buffer = "";
  const deadline = setTimeout(() => reader.cancel(), 5_000);
  try {
    while (!enough(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: Message = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) message.comment = line.slice(1).trim();
          const [, field, rest] = /^(id|event|data): (.*)$/.exec(line) ?? [];
          if (field) message[field as "id"] = rest;
        }
        if (!("retry" in message) && !block.startsWith("retry:")) seen.push(message);
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
  return seen;
}

function logWith(count: number, capacity = 10_000): EventLog {
  const log = new EventLog({ capacity });
  for (let i = 0; i < count; i++) log.emit("local-library-changed", { rev: i + 1 });
  return log;
}

Deno.test("an event stream sends each later event with its seq as id and the harness record as data", async () => {
  const events = logWith(2);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const res = await get(app, "/api/v1/events", { Accept: "text/event-stream" });
  setTimeout(() => events.emit("download-stalled", { game: "Doom", reason: "no source" }), 20);
  const [first] = await readSse(res, (s) => s.length >= 1);
  assertEquals(first!.id, "3", "no replay without since or Last-Event-ID");
  assertEquals(JSON.parse(first!.data!), {
    type: "event",
    event: "download-stalled",
    seq: 3,
    time: JSON.parse(first!.data!).time,
    game: "Doom",
    reason: "no source",
  });
});

Deno.test("Last-Event-ID resumes after the last event seen, and beats ?since", async () => {
  const events = logWith(5);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const res = await get(app, "/api/v1/events?since=1", {
    Accept: "text/event-stream",
    "Last-Event-ID": "3",
  });
  const seen = await readSse(res, (s) => s.length >= 2);
  assertEquals(seen.map((m) => m.id), ["4", "5"]);
  const since = await get(app, "/api/v1/events?since=4", { Accept: "text/event-stream" });
  assertEquals((await readSse(since, (s) => s.length >= 1)).map((m) => m.id), ["5"]);
});

Deno.test("a Last-Event-ID older than the log holds gets one snapshot event, then live events", async () => {
  const events = logWith(50, 10);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const res = await get(app, "/api/v1/events", {
    Accept: "text/event-stream",
    "Last-Event-ID": "5",
  });
  setTimeout(() => events.emit("download-stalled", { game: "Doom", reason: "no source" }), 20);
  const seen = await readSse(res, (s) => s.length >= 2);
  assertEquals(seen[0]!.event, "snapshot");
  assertEquals(seen[0]!.id, "50", "resumes after the snapshot's id");
  const snapshot = JSON.parse(seen[0]!.data!);
  assertEquals(snapshot.lastId, 50);
  assertEquals(snapshot.games.map((g: { id: string }) => g.id), ["Doom", "Quake"]);
  assert(Array.isArray(snapshot.peers) && Array.isArray(snapshot.downloads));
  assertEquals(seen[1]!.id, "51");
});

Deno.test("an id from an earlier run of the peer (beyond the log) also gets a snapshot", async () => {
  const events = logWith(3);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const res = await get(app, "/api/v1/events", {
    Accept: "text/event-stream",
    "Last-Event-ID": "9000",
  });
  const [first] = await readSse(res, (s) => s.length >= 1);
  assertEquals([first!.event, first!.id], ["snapshot", "3"]);
  assertEquals(hasGap(events, 3), false);
  assertEquals(hasGap(events, 0), false);
});

Deno.test("an idle stream sends heartbeat comments", async () => {
  const app = createApp({ api: fakeApi().api, token: null, heartbeatMs: 20 });
  const res = await get(app, "/api/v1/events", { Accept: "text/event-stream" });
  const seen = await readSse(res, (s) => s.length >= 2);
  assertEquals(seen.map((m) => m.comment), ["heartbeat", "heartbeat"]);
});

Deno.test("the stream ends when the server shuts down", async () => {
  const stop = new AbortController();
  const app = createApp({ api: fakeApi().api, token: null, signal: stop.signal });
  const res = await get(app, "/api/v1/events", { Accept: "text/event-stream" });
  setTimeout(() => stop.abort(), 20);
  const text = await res.text();
  assertMatch(text, /^retry: 2000/);
});

Deno.test("a bad Last-Event-ID or since is a 400", async () => {
  const app = createApp({ api: fakeApi().api, token: null });
  const bad = await get(app, "/api/v1/events", {
    Accept: "text/event-stream",
    "Last-Event-ID": "abc",
  });
  assertEquals(bad.status, 400);
  assertEquals((await get(app, "/api/v1/events?since=-1")).status, 400);
  assertEquals((await get(app, "/api/v1/events?timeoutMs=999999999")).status, 400);
});

Deno.test("long-poll answers at once with the events after since", async () => {
  const events = logWith(4);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const body = await (await get(app, "/api/v1/events?since=2&timeoutMs=10000")).json();
  assertEquals(body.events.map((e: { seq: number }) => e.seq), [3, 4]);
  assertEquals([body.lastId, body.gap, body.more], [4, false, false]);
  assertEquals(body.events[0].type, "event");
});

Deno.test("long-poll waits for the next event, or answers empty at its timeout", async () => {
  const events = logWith(1);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const started = Date.now();
  setTimeout(() => events.emit("download-stalled", { game: "Doom", reason: "no source" }), 50);
  const body = await (await get(app, "/api/v1/events?since=1&timeoutMs=5000")).json();
  assertEquals(body.events.map((e: { event: string }) => e.event), ["download-stalled"]);
  assert(Date.now() - started < 4_000, "answered when the event came");
  const empty = await (await get(app, "/api/v1/events?since=2&timeoutMs=30")).json();
  assertEquals([empty.events, empty.lastId], [[], 2]);
});

Deno.test("long-poll after a gap answers a snapshot", async () => {
  const events = logWith(30, 10);
  const app = createApp({ api: fakeApi({ events }).api, token: null });
  const body = await (await get(app, "/api/v1/events?since=3&timeoutMs=0")).json();
  assertEquals([body.gap, body.lastId, body.events], [true, 30, []]);
  assertEquals(body.snapshot.lastId, 30);
});
