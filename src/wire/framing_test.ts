import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { encodeFrame, type Frame, FrameReader, FramingError, writeEncoded } from "./framing.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function rawFrame(headerLength: number, header: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + header.length);
  new DataView(out.buffer).setUint32(0, headerLength);
  out.set(header, 4);
  return out;
}

async function readAll(reader: FrameReader): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (let f = await reader.read(); f; f = await reader.read()) frames.push(f);
  return frames;
}

Deno.test("frames round-trip with and without payload", async () => {
  const payload = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
  const bytes = concat([
    ...encodeFrame({ type: "a", n: 1 }),
    ...encodeFrame({ type: "b" }, payload),
  ]);
  const frames = await readAll(new FrameReader(streamOf([bytes])));
  assertEquals(frames.length, 2);
  assertEquals(frames[0]!.header, { type: "a", n: 1, payload: 0 });
  assertEquals(frames[0]!.payload, undefined);
  assertEquals(frames[1]!.payload, payload);
});

Deno.test("frames survive being split into one-byte chunks", async () => {
  const bytes = concat([...encodeFrame({ type: "x" }, new Uint8Array([1, 2, 3]))]);
  const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
  const frames = await readAll(new FrameReader(streamOf(chunks)));
  assertEquals(frames.map((f) => [f.header.type, f.payload]), [["x", Uint8Array.of(1, 2, 3)]]);
});

Deno.test("writeEncoded writes what FrameReader reads", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const reading = readAll(new FrameReader(readable));
  await writeEncoded(writer, encodeFrame({ type: "hello" }, new Uint8Array(10)));
  await writer.close();
  const frames = await reading;
  assertEquals(frames[0]!.header.type, "hello");
  assertEquals(frames[0]!.payload?.length, 10);
});

Deno.test("an oversized header is refused before reading it", async () => {
  // Announces 4 GiB but sends nothing more: must fail at once, not wait or allocate.
  const reader = new FrameReader(streamOf([rawFrame(0xffffffff, new Uint8Array(0))]));
  const error = await assertRejects(() => reader.read(), FramingError);
  assertEquals(error.kind, "too-large");
});

Deno.test("an oversized payload is refused before reading it", async () => {
  const header = new TextEncoder().encode(JSON.stringify({ type: "x", payload: 2 ** 40 }));
  const reader = new FrameReader(streamOf([rawFrame(header.length, header)]));
  const error = await assertRejects(() => reader.read(), FramingError);
  assertEquals(error.kind, "too-large");
});

Deno.test("limits are configurable per reader", async () => {
  const bytes = concat(encodeFrame({ type: "x", pad: "y".repeat(100) }));
  const reader = new FrameReader(streamOf([bytes]), { maxHeaderBytes: 50 });
  assertEquals((await assertRejects(() => reader.read(), FramingError)).kind, "too-large");
});

Deno.test("malformed headers are framing errors", async () => {
  const cases: [string, Uint8Array][] = [
    ["not json", new TextEncoder().encode("{nope")],
    ["array", new TextEncoder().encode("[1,2]")],
    ["null", new TextEncoder().encode("null")],
    ["bad utf-8", Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)],
    ["negative payload", new TextEncoder().encode('{"payload":-1}')],
    ["fractional payload", new TextEncoder().encode('{"payload":1.5}')],
    ["string payload", new TextEncoder().encode('{"payload":"9"}')],
  ];
  for (const [name, header] of cases) {
    const reader = new FrameReader(streamOf([rawFrame(header.length, header)]));
    const error = await assertRejects(() => reader.read(), FramingError, undefined, name);
    assertEquals(error.kind, "malformed", name);
  }
  const empty = new FrameReader(streamOf([rawFrame(0, new Uint8Array(0))]));
  assertEquals((await assertRejects(() => empty.read(), FramingError)).kind, "malformed");
});

Deno.test("a stream that ends mid-frame is truncated; one that ends between frames is clean", async () => {
  const bytes = concat(encodeFrame({ type: "x" }, new Uint8Array(100)));
  for (const cut of [1, 3, 4, 10, bytes.length - 1]) {
    const reader = new FrameReader(streamOf([bytes.subarray(0, cut)]));
    const error = await assertRejects(() => reader.read(), FramingError);
    assertEquals(error.kind, "truncated", `cut at ${cut}`);
  }
  assertEquals(await new FrameReader(streamOf([])).read(), null);
});

Deno.test("fuzz: random and truncated frames only ever raise FramingError", async () => {
  const valid = concat(encodeFrame({ type: "get-block", game: "g", index: 3 }, new Uint8Array(33)));
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const deadline = Date.now() + 5_000;
  for (let i = 0; i < 3_000 && Date.now() < deadline; i++) {
    let bytes: Uint8Array;
    if (i % 3 === 0) {
      bytes = crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 64)));
    } else {
      bytes = valid.slice(0, Math.floor(rand() * (valid.length + 1)));
      if (i % 3 === 2 && bytes.length) {
        const at = Math.floor(rand() * bytes.length);
        bytes[at] = bytes[at]! ^ 0xff;
      }
    }
    const reader = new FrameReader(streamOf([bytes]), { maxHeaderBytes: 4096 });
    try {
      await readAll(reader);
    } catch (error) {
      assert(error instanceof FramingError, `case ${i} threw ${error}`);
    }
  }
});

Deno.test("a payload is read in pieces after its header, never past its end", async () => {
  const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
  const bytes = concat([...encodeFrame({ type: "b" }, payload), ...encodeFrame({ type: "c" })]);
  // Odd chunk sizes: pieces and chunks never line up.
  const chunks = [];
  for (let at = 0; at < bytes.length; at += 777) chunks.push(bytes.slice(at, at + 777));
  const reader = new FrameReader(streamOf(chunks));
  const head = await reader.readHeader();
  assertEquals([head?.header.type, head?.payloadLength, reader.payloadLeft], ["b", 5000, 5000]);
  await assertRejects(() => reader.readHeader(), Error, "payload of the last frame");
  const got: number[] = [];
  for (const size of [1, 999, 3000]) {
    const piece = await reader.readPayload(new Uint8Array(new ArrayBuffer(4096), 10, size));
    assertEquals([piece.length, piece.byteOffset], [size, 10]);
    got.push(...piece);
  }
  await assertRejects(() => reader.readPayload(new Uint8Array(1001)), RangeError);
  got.push(...await reader.readPayload(new Uint8Array(1000)));
  assertEquals(got, [...payload]);
  assertEquals(reader.payloadLeft, 0);
  assertEquals((await reader.readHeader())?.header.type, "c");
  assertEquals(await reader.readHeader(), null);
});

Deno.test("a stream that ends inside a payload read in pieces is truncated", async () => {
  const bytes = concat(encodeFrame({ type: "b" }, new Uint8Array(100)));
  const reader = new FrameReader(streamOf([bytes.subarray(0, bytes.length - 10)]));
  await reader.readHeader();
  await reader.readPayload(new Uint8Array(50));
  const error = await assertRejects(() => reader.readPayload(new Uint8Array(50)), FramingError);
  assertEquals(error.kind, "truncated");
});
