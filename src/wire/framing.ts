/**
 * Frames over web streams. Pure: knows no socket, only ReadableStream and
 * WritableStream, so tests drive it with in-memory streams.
 *
 * Wire format of one frame:
 *
 * ```
 * +----------------+----------------------------+---------------------------+
 * | u32 BE: H      | H bytes: UTF-8 JSON object | P bytes of raw payload     |
 * +----------------+----------------------------+---------------------------+
 * ```
 *
 * P is the header's `payload` field (a non-negative integer, 0 if absent).
 * H and P are checked against the limits before anything is allocated, so a
 * peer cannot make us reserve memory by announcing a large frame.
 *
 * @module
 */
import { LIMITS } from "./protocol.ts";

/** A decoded frame: a JSON header object and an optional payload. */
export interface Frame {
  header: Record<string, unknown>;
  payload?: Uint8Array;
}

export type FramingErrorKind = "too-large" | "malformed" | "truncated";

/** A violation of the framing rules; the stream cannot be trusted after it. */
export class FramingError extends Error {
  constructor(readonly kind: FramingErrorKind, message: string) {
    super(message);
    this.name = "FramingError";
  }
}

/** Limits for one reader. */
export interface FrameLimits {
  /** @default {LIMITS.maxHeaderBytes} */
  maxHeaderBytes?: number;
  /** @default {LIMITS.maxPayloadBytes} */
  maxPayloadBytes?: number;
  /** Told of every piece of the stream read (a connection's traffic counter). */
  onBytes?: (bytes: number) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Where a frame reader gets bytes: `read` fills a prefix of `into` and
 * returns it (possibly as a view on a new buffer: BYOB reads transfer the
 * buffer), or null at the end of the stream.
 */
interface ByteSource {
  read(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads straight into the caller's buffer (QUIC streams are byte streams):
 * no intermediate chunk per read, which measured ~25 % faster at 16 MiB.
 */
function byobSource(reader: ReadableStreamBYOBReader): ByteSource {
  return {
    read: async (into) => {
      const { done, value } = await reader.read(into);
      return done || !value ? null : value as Uint8Array<ArrayBuffer>;
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

/** Any other stream: chunks are copied out, leftovers kept for the next read. */
function chunkSource(reader: ReadableStreamDefaultReader<Uint8Array>): ByteSource {
  let pending: Uint8Array = new Uint8Array(0);
  return {
    read: async (into) => {
      if (pending.length === 0) {
        const { done, value } = await reader.read();
        if (done) return null;
        pending = value;
      }
      const n = Math.min(pending.length, into.length);
      into.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return into.subarray(0, n);
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

function sourceOf(readable: ReadableStream<Uint8Array>): ByteSource {
  try {
    return byobSource(readable.getReader({ mode: "byob" }));
  } catch {
    return chunkSource(readable.getReader());
  }
}

/** A frame's header, read before its payload. */
export interface FrameHead {
  header: Record<string, unknown>;
  /** Bytes of payload that follow (the header's `payload`, checked against the limits). */
  payloadLength: number;
}

/** Reads frames from a byte stream. */
export class FrameReader {
  #source: ByteSource;
  #maxHeader: number;
  #maxPayload: number;
  #onBytes: (bytes: number) => void;
  /** Payload bytes of the current frame not read yet. */
  #payloadLeft = 0;

  constructor(readable: ReadableStream<Uint8Array>, limits: FrameLimits = {}) {
    this.#source = sourceOf(readable);
    this.#maxHeader = limits.maxHeaderBytes ?? LIMITS.maxHeaderBytes;
    this.#maxPayload = limits.maxPayloadBytes ?? LIMITS.maxPayloadBytes;
    this.#onBytes = limits.onBytes ?? (() => {});
  }

  /**
   * The next frame, or null when the stream ended cleanly between frames.
   * `allocate` supplies the payload's buffer (of at least the asked size),
   * so that a caller can reuse buffers.
   */
  async read(allocate?: (bytes: number) => ArrayBuffer): Promise<Frame | null> {
    const head = await this.readHeader();
    if (head === null) return null;
    const { header, payloadLength } = head;
    if (payloadLength === 0) return { header };
    // Allocation is bounded by the limits checked in readHeader.
    const buffer = allocate?.(payloadLength) ?? new ArrayBuffer(payloadLength);
    return { header, payload: await this.readPayload(new Uint8Array(buffer, 0, payloadLength)) };
  }

  /**
   * The next frame's header, or null when the stream ended cleanly between
   * frames. Its payload is read with {@linkcode readPayload} (all of it,
   * before the next header).
   */
  async readHeader(): Promise<FrameHead | null> {
    if (this.#payloadLeft > 0) throw new Error("the payload of the last frame was not read");
    const prefix = await this.#fill(new Uint8Array(4), true);
    if (prefix === null) return null;
    const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0);
    if (headerLength === 0) throw new FramingError("malformed", "empty frame header");
    if (headerLength > this.#maxHeader) {
      throw new FramingError(
        "too-large",
        `frame header of ${headerLength} bytes exceeds ${this.#maxHeader}`,
      );
    }
    const header = parseHeader((await this.#fill(new Uint8Array(headerLength), false))!);
    const payloadLength = header.payload ?? 0;
    if (
      typeof payloadLength !== "number" || !Number.isSafeInteger(payloadLength) ||
      payloadLength < 0
    ) {
      throw new FramingError("malformed", "frame payload length is not a non-negative integer");
    }
    if (payloadLength > this.#maxPayload) {
      throw new FramingError(
        "too-large",
        `frame payload of ${payloadLength} bytes exceeds ${this.#maxPayload}`,
      );
    }
    this.#payloadLeft = payloadLength;
    return { header, payloadLength };
  }

  /** Payload bytes of the current frame not read yet. */
  get payloadLeft(): number {
    return this.#payloadLeft;
  }

  /**
   * Fills `into` with the next bytes of the current frame's payload, which
   * must hold that many more. Returns the filled view, which may lie on
   * another ArrayBuffer than `into` (BYOB reads transfer the buffer: use the
   * returned view's buffer from then on).
   */
  async readPayload(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (into.length > this.#payloadLeft) {
      throw new RangeError(`${into.length} bytes asked, ${this.#payloadLeft} left in the payload`);
    }
    const filled = (await this.#fill(into, false))!;
    this.#payloadLeft -= into.length;
    return filled;
  }

  /** Stops reading and tells the sender we are not interested in more. */
  async cancel(reason?: unknown): Promise<void> {
    await this.#source.cancel(reason).catch(() => {});
  }

  /** Fills `into` whole; null only when `eofOk` and the stream ended before any byte. */
  async #fill(
    into: Uint8Array<ArrayBuffer>,
    eofOk: boolean,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    const n = into.length;
    let buffer = into.buffer;
    const offset = into.byteOffset;
    let filled = 0;
    while (filled < n) {
      const got = await this.#source.read(new Uint8Array(buffer, offset + filled, n - filled));
      if (got === null) {
        if (eofOk && filled === 0) return null;
        throw new FramingError("truncated", `stream ended ${n - filled} bytes short of a frame`);
      }
      buffer = got.buffer;
      filled += got.length;
      this.#onBytes(got.length);
    }
    return new Uint8Array(buffer, offset, n);
  }
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new FramingError("malformed", "frame header is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FramingError("malformed", "frame header is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * Encodes one frame into the chunks to write: the prefixed header, then the
 * payload parts untouched (no copy of large blocks). Sets the header's
 * `payload` to the parts' total length.
 */
export function encodeFrame(
  header: Record<string, unknown>,
  payload?: Uint8Array | Uint8Array[],
): Uint8Array[] {
  const parts = payload === undefined ? [] : Array.isArray(payload) ? payload : [payload];
  const length = parts.reduce((n, p) => n + p.length, 0);
  return [encodeHeader(header, length), ...parts.filter((p) => p.length > 0)];
}

/**
 * Encodes a frame's prefixed header alone, for a payload of `payloadLength`
 * bytes that the caller writes after it (a payload produced as it is sent).
 */
export function encodeHeader(header: Record<string, unknown>, payloadLength: number): Uint8Array {
  const json = encoder.encode(JSON.stringify({ ...header, payload: payloadLength }));
  if (json.length > LIMITS.maxHeaderBytes) {
    throw new FramingError("too-large", `frame header of ${json.length} bytes is too large`);
  }
  if (payloadLength > LIMITS.maxPayloadBytes) {
    throw new FramingError("too-large", `payload of ${payloadLength} bytes is too large`);
  }
  const head = new Uint8Array(4 + json.length);
  new DataView(head.buffer).setUint32(0, json.length);
  head.set(json, 4);
  return head;
}

/** Writes a frame {@linkcode encodeFrame} made (waiting for backpressure). */
export async function writeEncoded(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  chunks: Uint8Array[],
  pace?: (bytes: number) => Promise<void>,
): Promise<void> {
  const [head, ...parts] = chunks;
  await writer.ready;
  await writer.write(head!);
  for (const part of parts) await writePart(writer, part, pace);
}

/** Writes part of a payload (waiting for backpressure), paced when `pace` is given. */
export async function writePart(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  part: Uint8Array,
  pace?: (bytes: number) => Promise<void>,
): Promise<void> {
  // A paced payload goes out in slices, each let through by `pace`, so a
  // capped upload flows evenly instead of waiting, then bursting.
  const slice = pace ? PACE_SLICE : part.length;
  for (let at = 0; at < part.length; at += slice) {
    const chunk = part.subarray(at, at + slice);
    if (pace) await pace(chunk.length);
    await writer.ready;
    await writer.write(chunk);
  }
}

/** Bytes a paced payload is written in. */
const PACE_SLICE = 256 * 1024;
