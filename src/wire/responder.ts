/**
 * The serving half of a session (session.ts): one request read from a
 * stream the peer opened, answered, and the stream closed. A frame that
 * breaks framing closes the connection; one that is well-formed but not a
 * valid request is answered `bad-request` and logged (once per type at
 * warning level); a handler that throws is answered `internal`; an answer
 * too large to send is replaced by an `internal` error, never sent half.
 *
 * @module
 */
import { abortable } from "../common/async.ts";
import {
  encodeFrame,
  encodeHeader,
  type Frame,
  type FrameLimits,
  FrameReader,
  FramingError,
  writeEncoded,
  writePart,
} from "./framing.ts";
import { CLOSE, describeIssues, LIMITS } from "./protocol.ts";
import { errorResponse, Request, type Response } from "./messages.ts";
import type { StreamPair } from "./transport.ts";
import type { Logger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";

/**
 * A payload produced while it is sent: `bytes` in all, which `write` hands
 * to `send` piece by piece (each piece may be reused once `send` resolved).
 * If `write` throws, or hands over another number of bytes, the stream is
 * reset: the peer sees a failed request, never a short frame.
 */
export interface ReplyBody {
  bytes: number;
  write(send: (piece: Uint8Array) => Promise<void>): Promise<void>;
  /** Releases what the body holds when it will not be written (the stream failed first). */
  cancel(): void;
}

/** A response frame: validated header plus its payload, if any. */
export interface Reply {
  message: Response;
  /** Raw bytes after the header; parts are sent back to back without copying. */
  payload?: Uint8Array | Uint8Array[];
  /** A payload read as it is sent (instead of `payload`). */
  body?: ReplyBody;
  /**
   * Bulk data (block answers): sent after everything else on the connection,
   * and in the order the requests came, one at a time, so that each
   * finishes as early as it can and its requester can ask for the next.
   */
  bulk?: boolean;
  /** Called once the reply is sent (or failed to send): ends an upload slot. */
  sent?: () => void;
  /** Lets `bytes` more of the payload go out (an upload cap); resolves when they may. */
  pace?: (bytes: number) => Promise<void>;
}

/** Serves one request; throws only for bugs (answered as `internal`). */
export type Handler = (request: Request) => Promise<Reply>;

/** What a {@linkcode Responder} needs of its session. */
export interface ResponderOptions {
  log: Logger;
  /** The peer, as logs name it. */
  label(): string;
  /** Closes the whole connection (a framing violation). */
  close(code: number, reason: string): void;
  onActivity(): void;
  /** The session's counters: bytes of requests read and answers written are added. */
  traffic: { sent: number; received: number };
  /** Frame reading options that count what is read into `traffic`. */
  counted: FrameLimits;
}

/** Answers the requests of one connection's peer. */
export class Responder {
  #o: ResponderOptions;
  /** Request types refused as invalid: logged as a warning once each, then at debug level. */
  #refusedTypes = new Set<string>();
  /** Bulk replies sent so far: each next one gets a lower send priority (FIFO). */
  #bulk = 0;

  constructor(options: ResponderOptions) {
    this.#o = options;
  }

  /** Reads one request from `stream`, answers it and closes the stream. */
  async serve(stream: StreamPair, handler: Handler): Promise<void> {
    const reader = new FrameReader(stream.readable, this.#o.counted);
    let frame: Frame | null;
    try {
      // A stream that never delivers its request must not be held open forever.
      const timeout = AbortSignal.timeout(LIMITS.requestTimeoutMs);
      frame = await abortable(reader.read(), { signal: timeout, dispose: () => {} }).catch(
        async (error) => {
          if (!timeout.aborted) throw error;
          await reader.cancel("request timeout");
          return null;
        },
      );
    } catch (error) {
      if (error instanceof FramingError) {
        this.#o.log.warn(`closing ${this.#o.label()}: framing violation: ${error.message}`);
        this.#o.close(CLOSE.protocolViolation, `framing: ${error.message}`);
        return;
      }
      throw error;
    }
    if (!frame) return;
    this.#o.onActivity();
    const reply = await this.#answer(frame, handler);
    try {
      let chunks: Uint8Array[];
      try {
        chunks = reply.body
          ? [encodeHeader(reply.message, reply.body.bytes)]
          : encodeFrame(reply.message, reply.payload);
      } catch (error) {
        const type = String(frame.header.type).slice(0, 40);
        this.#o.log.error(
          `answer to ${type} from ${this.#o.label()} not sent: ${errorMessage(error)}`,
        );
        chunks = encodeFrame(
          errorResponse("internal", `the answer to ${type} is too large to send`),
        );
        reply.body?.cancel();
        reply.body = undefined;
      }
      // Bulk answers go in the order they were asked for, after all else (priority 0).
      if (reply.bulk) stream.setPriority?.(-(++this.#bulk % 2 ** 30));
      await respondEncoded(stream.writable, chunks, {
        pace: reply.pace,
        body: reply.body,
        onSent: (bytes) => void (this.#o.traffic.sent += bytes),
      });
    } finally {
      reply.sent?.();
    }
    await reader.cancel();
  }

  async #answer(frame: Frame, handler: Handler): Promise<Reply> {
    const parsed = Request.safeParse(frame.header);
    if (!parsed.success) {
      const type = JSON.stringify(
        (typeof frame.header.type === "string" ? frame.header.type : "(none)").slice(0, 40),
      );
      const why = `invalid ${type} request: ${describeIssues(parsed.error)}`;
      // Once per type at warning level: a peer must not be able to flood the log.
      const first = !this.#refusedTypes.has(type) && this.#refusedTypes.size < 16;
      this.#refusedTypes.add(type);
      (first ? this.#o.log.warn : this.#o.log.debug)(`refused from ${this.#o.label()}: ${why}`);
      return { message: errorResponse("bad-request", why) };
    }
    try {
      return await handler(parsed.data);
    } catch (error) {
      this.#o.log.error(`handling ${parsed.data.type}: ${errorMessage(error)}`);
      return { message: errorResponse("internal", "internal error") };
    }
  }
}

/** Writes a reply frame and closes the stream's sending side. */
export async function respond(
  writable: WritableStream<Uint8Array>,
  header: Record<string, unknown>,
  payload?: Uint8Array | Uint8Array[],
  pace?: (bytes: number) => Promise<void>,
): Promise<void> {
  await respondEncoded(writable, encodeFrame(header, payload), { pace });
}

export async function respondEncoded(
  writable: WritableStream<Uint8Array>,
  chunks: Uint8Array[],
  o: {
    pace?: (bytes: number) => Promise<void>;
    body?: ReplyBody;
    /** Told of the bytes written, as they are. */
    onSent?: (bytes: number) => void;
  },
): Promise<void> {
  const { pace, body, onSent = () => {} } = o;
  const writer = writable.getWriter();
  let started = false;
  try {
    await writeEncoded(writer, chunks, pace);
    for (const chunk of chunks) onSent(chunk.length);
    if (body) {
      started = true;
      let sent = 0;
      try {
        await body.write(async (piece) => {
          sent += piece.length;
          if (sent > body.bytes) throw new Error("a reply body longer than announced");
          await writePart(writer, piece, pace);
          onSent(piece.length);
        });
        if (sent !== body.bytes) throw new Error("a reply body shorter than announced");
      } catch (error) {
        // Never a short frame: the peer sees the stream reset, a failed request.
        await writer.abort(error).catch(() => {});
        throw error;
      }
    }
    await writer.close();
  } finally {
    if (body && !started) body.cancel();
    writer.releaseLock();
  }
}
