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
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads frames from a byte stream, carrying leftover bytes between reads. */
export class FrameReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);
  #maxHeader: number;
  #maxPayload: number;

  constructor(readable: ReadableStream<Uint8Array>, limits: FrameLimits = {}) {
    this.#reader = readable.getReader();
    this.#maxHeader = limits.maxHeaderBytes ?? LIMITS.maxHeaderBytes;
    this.#maxPayload = limits.maxPayloadBytes ?? LIMITS.maxPayloadBytes;
  }

  /** The next frame, or null when the stream ended cleanly between frames. */
  async read(): Promise<Frame | null> {
    const prefix = await this.#readExact(4, true);
    if (prefix === null) return null;
    const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0);
    if (headerLength === 0) throw new FramingError("malformed", "empty frame header");
    if (headerLength > this.#maxHeader) {
      throw new FramingError(
        "too-large",
        `frame header of ${headerLength} bytes exceeds ${this.#maxHeader}`,
      );
    }
    const header = parseHeader((await this.#readExact(headerLength, false))!);
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
    if (payloadLength === 0) return { header };
    return { header, payload: (await this.#readExact(payloadLength, false))! };
  }

  /** Reads the stream to its end; a byte after the last frame is a violation. */
  async expectEnd(): Promise<void> {
    if (this.#pending.length > 0) throw new FramingError("malformed", "trailing bytes");
    const { done, value } = await this.#reader.read();
    if (!done && value.length > 0) throw new FramingError("malformed", "trailing bytes");
  }

  /** Stops reading and tells the sender we are not interested in more. */
  async cancel(reason?: unknown): Promise<void> {
    await this.#reader.cancel(reason).catch(() => {});
  }

  releaseLock(): void {
    this.#reader.releaseLock();
  }

  /** Exactly n bytes; null only when `eofOk` and the stream ended before any byte. */
  async #readExact(n: number, eofOk: boolean): Promise<Uint8Array | null> {
    if (this.#pending.length >= n) return this.#take(n);
    // Allocation is bounded by the limits checked by the caller.
    const out = new Uint8Array(n);
    let filled = this.#pending.length;
    out.set(this.#pending);
    this.#pending = new Uint8Array(0);
    while (filled < n) {
      const { done, value } = await this.#reader.read();
      if (done) {
        if (eofOk && filled === 0) return null;
        throw new FramingError("truncated", `stream ended ${n - filled} bytes short of a frame`);
      }
      const need = n - filled;
      if (value.length <= need) {
        out.set(value, filled);
        filled += value.length;
      } else {
        out.set(value.subarray(0, need), filled);
        this.#pending = value.subarray(need);
        filled = n;
      }
    }
    return out;
  }

  #take(n: number): Uint8Array {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return out;
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
  const json = encoder.encode(JSON.stringify({ ...header, payload: length }));
  if (json.length > LIMITS.maxHeaderBytes) {
    throw new FramingError("too-large", `frame header of ${json.length} bytes is too large`);
  }
  if (length > LIMITS.maxPayloadBytes) {
    throw new FramingError("too-large", `payload of ${length} bytes is too large`);
  }
  const head = new Uint8Array(4 + json.length);
  new DataView(head.buffer).setUint32(0, json.length);
  head.set(json, 4);
  return [head, ...parts.filter((p) => p.length > 0)];
}

/** Writes one frame to a writer (waiting for backpressure). */
export async function writeFrame(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  header: Record<string, unknown>,
  payload?: Uint8Array | Uint8Array[],
): Promise<void> {
  for (const chunk of encodeFrame(header, payload)) {
    await writer.ready;
    await writer.write(chunk);
  }
}
