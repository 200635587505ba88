import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { encodeFrame, FrameReader, FramingError } from "./framing.ts";
import type { CloseInfo, Connection, StreamPair } from "./transport.ts";
import { Session } from "./session.ts";
import { RequestError } from "./requester.ts";
import type { Reply } from "./responder.ts";
import { LIMITS } from "./protocol.ts";
import { createLogger } from "../common/log.ts";

/**
 * An in-memory connection whose far end is scripted by the test: a fake for
 * injecting a peer that stalls mid-answer, which real QUIC cannot be made
 * to do on cue.
 */
function scriptedConnection(answer: (stream: StreamPair) => Promise<void>) {
  const closes: CloseInfo[] = [];
  let closed!: (info: CloseInfo) => void;
  const conn: Connection = {
    remoteAddr: { hostname: "test", port: 1 },
    protocol: "lanspread/1",
    openStream: () => {
      const up = new TransformStream<Uint8Array, Uint8Array>();
      const down = new TransformStream<Uint8Array, Uint8Array>();
      answer({ readable: up.readable, writable: down.writable }).catch(() => {});
      return Promise.resolve({ readable: down.readable, writable: up.writable });
    },
    incomingStreams: new ReadableStream(),
    close: (code, reason) => {
      closes.push({ code, reason });
      closed({ code, reason });
    },
    closed: new Promise((resolve) => (closed = resolve)),
  };
  return { conn, closes };
}

Deno.test("giving up on an answer cut short does not blame the peer or close the connection", async () => {
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => (stalled = resolve));
  const { conn, closes } = scriptedConnection(async (stream) => {
    await new FrameReader(stream.readable).read();
    const writer = stream.writable.getWriter();
    const [head, payload] = encodeFrame({ type: "block" }, new Uint8Array(1000));
    await writer.write(head!);
    await writer.write(payload!.subarray(0, 10)); // then nothing more
    stalled();
    await new Promise(() => {});
  });
  const session = new Session(conn);
  const abort = new AbortController();
  const request = session.exchange({ type: "ping" }, { signal: abort.signal });
  await stall;
  abort.abort(new Error("not needed any more"));
  const error = await assertRejects(() => request, RequestError);
  assert(error.code !== "bad-request", error.message);
  assertEquals(closes, []);
});

Deno.test("an answer that breaks framing closes the connection", async () => {
  const { conn, closes } = scriptedConnection(async (stream) => {
    await new FrameReader(stream.readable).read();
    const writer = stream.writable.getWriter();
    await writer.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    await writer.close();
  });
  const session = new Session(conn);
  const error = await assertRejects(() => session.exchange({ type: "ping" }), RequestError);
  assertEquals(error.code, "bad-request");
  assertEquals(closes.length, 1);
});

/**
 * A connection whose peer opens a stream for each of `requests`: the answer
 * frames (each, and `all` of them) and the send priority each stream got.
 */
function incomingRequests(...requests: Record<string, unknown>[]) {
  const priorities: (number | undefined)[] = requests.map(() => undefined);
  const streams: StreamPair[] = [];
  const answers = requests.map((request, i) => {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    streams.push({
      readable: up.readable,
      writable: down.writable,
      setPriority: (p) => (priorities[i] = p),
    });
    const writer = up.writable.getWriter();
    for (const chunk of encodeFrame(request)) writer.write(chunk);
    writer.close();
    return new FrameReader(down.readable).read();
  });
  answers.forEach((a) => a.catch(() => {}));
  const closes: CloseInfo[] = [];
  const conn: Connection = {
    remoteAddr: { hostname: "test", port: 1 },
    protocol: "lanspread/2",
    openStream: () => Promise.reject(new Error("unused")),
    incomingStreams: new ReadableStream({
      start(controller) {
        for (const stream of streams) controller.enqueue(stream);
        controller.close();
      },
    }),
    close: (code, reason) => void closes.push({ code, reason }),
    closed: new Promise(() => {}),
  };
  const all = Promise.all(answers);
  all.catch(() => {}); // awaited by the tests that want every answer
  return { conn, closes, answers, all, priorities };
}

Deno.test("a request too large to send is our error, logged; nothing is sent or closed", async () => {
  const { conn, closes } = scriptedConnection(() => Promise.reject(new Error("never opened")));
  const logs: string[] = [];
  const session = new Session(conn, { log: createLogger({ sink: (l) => logs.push(l) }) });
  const huge = { type: "goodbye", reason: "x".repeat(LIMITS.maxHeaderBytes) };
  const error = await assertRejects(() => session.exchange(huge), RequestError);
  assertEquals(error.code, "too-large");
  assertEquals(closes, []);
  assert(
    logs.some((l) => /ERROR .*cannot send goodbye: frame header of \d+ bytes/.test(l)),
    logs[0],
  );
});

Deno.test("an answer too large to send is logged and replaced by an internal error", async () => {
  const { conn, closes, all } = incomingRequests({ type: "ping" });
  const logs: string[] = [];
  const session = new Session(conn, { log: createLogger({ sink: (l) => logs.push(l) }) });
  await session.serve(() =>
    Promise.resolve({
      message: { type: "error", code: "internal", message: "x".repeat(LIMITS.maxHeaderBytes) },
    })
  );
  const [frame] = await all;
  assertEquals([frame?.header.type, frame?.header.code], ["error", "internal"]);
  assertEquals(closes, []);
  assert(logs.some((l) => /ERROR .*answer to ping from test:1 not sent/.test(l)), logs.join());
});

Deno.test("an invalid request is answered bad-request and logged once per type", async () => {
  const logs: string[] = [];
  const bad = { type: "get-library", offset: -1 };
  const { conn, all } = incomingRequests(bad, bad, { type: "nope" });
  const session = new Session(conn, {
    log: createLogger({ level: "debug", sink: (l) => logs.push(l) }),
  });
  await session.serve(() => Promise.reject(new Error("not reached")));
  for (const frame of await all) {
    assertEquals([frame?.header.type, frame?.header.code], ["error", "bad-request"]);
  }
  const levels = logs.map((l) => l.split(" ")[1]);
  assertEquals(levels, ["WARN", "DEBUG", "WARN"], logs.join("\n"));
  assert(/refused from test:1: invalid "get-library" request: offset/.test(logs[0]!), logs[0]);
});

Deno.test("a streamed answer is read piece by piece while the rest is on its way", async () => {
  let more!: () => void;
  const later = new Promise<void>((resolve) => (more = resolve));
  const { conn, closes } = scriptedConnection(async (stream) => {
    await new FrameReader(stream.readable).read();
    const writer = stream.writable.getWriter();
    const [head, payload] = encodeFrame(
      { type: "ok" },
      Uint8Array.from({ length: 8 }, (_, i) => i),
    );
    await writer.write(head!);
    await writer.write(payload!.subarray(0, 4));
    await later; // the first half is read before the second is even sent
    await writer.write(payload!.subarray(4));
    await writer.close();
  });
  const answer = await new Session(conn).stream({ type: "ping" });
  assertEquals([answer.message.type, answer.left], ["ok", 8]);
  assertEquals([...await answer.read(new Uint8Array(4))], [0, 1, 2, 3]);
  more();
  assertEquals([...await answer.read(new Uint8Array(4))], [4, 5, 6, 7]);
  assertEquals(answer.left, 0);
  answer.close();
  assertEquals(closes, []);
});

Deno.test("a streamed answer that stalls past the timeout fails; the peer is not blamed", async () => {
  const { conn, closes } = scriptedConnection(async (stream) => {
    await new FrameReader(stream.readable).read();
    const writer = stream.writable.getWriter();
    const [head, payload] = encodeFrame({ type: "ok" }, new Uint8Array(100));
    await writer.write(head!);
    await writer.write(payload!.subarray(0, 10));
    await new Promise(() => {});
  });
  const answer = await new Session(conn).stream({ type: "ping" }, { timeoutMs: 100 });
  await answer.read(new Uint8Array(10));
  const error = await assertRejects(() => answer.read(new Uint8Array(10)), RequestError);
  assertEquals(error.code, "timeout");
  answer.close();
  assertEquals(closes, []);
});

Deno.test("bulk answers go after all else, in the order asked; a failing body resets its stream", async () => {
  const { conn, answers, priorities, closes } = incomingRequests(
    { type: "ping" },
    { type: "get-manifest", game: "a" },
    { type: "get-manifest", game: "b" },
    { type: "get-manifest", game: "c" },
  );
  const session = new Session(conn);
  await session.serve((request) => {
    if (request.type === "ping") return Promise.resolve({ message: { type: "pong" } });
    const game = request.type === "get-manifest" ? request.game : "";
    const message = { type: "manifest", game, version: "1", hash: "0".repeat(64), payload: 4 };
    return Promise.resolve({
      message: message as Reply["message"],
      bulk: true,
      body: {
        bytes: 4,
        write: async (send) => {
          await send(Uint8Array.of(1, 2));
          if (game === "b") throw new Error("disk gone");
          await send(Uint8Array.of(3, 4));
        },
        cancel: () => {
          throw new Error("not cancelled: written");
        },
      },
    });
  });
  assertEquals((await answers[0])?.header.type, "pong");
  assertEquals([...(await answers[1])?.payload ?? []], [1, 2, 3, 4]);
  const error = await answers[2]!.then(() => null, (e) => e);
  assert(error !== null && !(error instanceof FramingError), `reset, not cut short: ${error}`);
  assertEquals([...(await answers[3])?.payload ?? []], [1, 2, 3, 4]);
  assertEquals(priorities[0], undefined, "others keep the default priority (0)");
  const [a, b, c] = priorities.slice(1) as number[];
  assert(a! < 0 && b! < a! && c! < b!, `FIFO priorities ${priorities}`);
  assertEquals(closes, []);
});

Deno.test("a body that is never written is cancelled (its buffers and files released)", async () => {
  const { conn, answers } = incomingRequests({ type: "get-manifest", game: "a" });
  let cancelled = 0;
  const session = new Session(conn);
  await session.serve(() =>
    Promise.resolve({
      // Too large a header: an internal error goes instead, and the body is dropped.
      message: { type: "error", code: "internal", message: "x".repeat(LIMITS.maxHeaderBytes) },
      body: {
        bytes: 1,
        write: () => Promise.reject(new Error("not written")),
        cancel: () => cancelled++,
      },
    })
  );
  assertEquals((await answers[0])?.header.code, "internal");
  assertEquals(cancelled, 1);
});

Deno.test("a session counts the frame bytes it sends and receives, requests and answers alike", async () => {
  const request = { type: "ping" };
  const answer = encodeFrame({ type: "ok" }, new Uint8Array(1000));
  const { conn } = scriptedConnection(async (stream) => {
    await new FrameReader(stream.readable).read();
    const writer = stream.writable.getWriter();
    for (const chunk of answer) await writer.write(chunk);
    await writer.close();
  });
  const client = new Session(conn);
  assertEquals(client.traffic, { sent: 0, received: 0 });
  await client.request({ type: "ping" });
  const size = (chunks: Uint8Array[]) => chunks.reduce((n, c) => n + c.length, 0);
  assertEquals(client.traffic, { sent: size(encodeFrame(request)), received: size(answer) });

  const served = incomingRequests(request);
  const server = new Session(served.conn);
  const reply: Reply = { message: { type: "ok" }, payload: new Uint8Array(300) };
  await server.serve(() => Promise.resolve(reply));
  await served.all;
  await new Promise((resolve) => setTimeout(resolve, 10)); // the writes' own promises settle
  assertEquals(server.traffic, {
    sent: size(encodeFrame({ type: "ok" }, new Uint8Array(300))),
    received: size(encodeFrame(request)),
  });
});
