import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { encodeFrame, FrameReader } from "./framing.ts";
import type { CloseInfo, Connection, StreamPair } from "./transport.ts";
import { RequestError, Session } from "./session.ts";

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
