/**
 * The asking half of a session (session.ts): a request sent on a stream of
 * its own, and its answer read whole (`exchange`, `request`) or piece by
 * piece as it arrives (`stream`), under a timeout. Every failure becomes one
 * {@linkcode RequestError} by one mapping: a peer that breaks framing has
 * the connection closed, a request we gave up on or could not send does
 * not. Apart from session.ts as responder.ts is, so that a session is the
 * connection and the two halves that use it.
 *
 * @module
 */
import { abortable } from "../common/async.ts";
import {
  encodeFrame,
  type Frame,
  type FrameLimits,
  FrameReader,
  FramingError,
  writeEncoded,
} from "./framing.ts";
import { CLOSE, describeIssues, LIMITS } from "./protocol.ts";
import { type Request, Response } from "./messages.ts";
import type { StreamPair } from "./transport.ts";
import type { Logger } from "../common/log.ts";
import { errorMessage, LanspreadError } from "../common/errors.ts";

export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * Time for the answer to arrive; for a streamed answer ({@linkcode
   * Requester.stream}) the time to its header and then between its pieces.
   * @default {LIMITS.requestTimeoutMs}
   */
  timeoutMs?: number;
  /** Supplies the answer's payload buffer (reuse; see buffer_pool.ts). */
  allocate?: (bytes: number) => ArrayBuffer;
}

/** The request failed before a response arrived (timeout, reset, closed, too large to send). */
export class RequestError extends LanspreadError {
  override name = "RequestError";
  constructor(
    override readonly code: "timeout" | "unreachable" | "bad-request" | "too-large",
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * The answer of {@linkcode Requester.stream}: its validated header, and its
 * payload to be read piece by piece. `close` must be called once done with
 * it (it cancels whatever of the payload was not read).
 */
export interface StreamedAnswer {
  message: Response;
  /** Payload bytes not read yet. */
  readonly left: number;
  /**
   * Fills `into` with the next payload bytes (at most `left`); resolves with
   * the filled view, which may lie on another ArrayBuffer than `into` (see
   * FrameReader.readPayload). Rejects with a RequestError when the stream
   * fails or is cut short.
   */
  read(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  close(): void;
}

/** What a {@linkcode Requester} needs of its session. */
export interface RequesterOptions {
  log: Logger;
  /** The peer, as logs name it. */
  label(): string;
  /** Opens a new stream on the connection. */
  openStream(): Promise<StreamPair>;
  /** Closes the whole connection (the peer broke framing). */
  close(code: number, reason: string): void;
  /** Told whenever an answer arrives (liveness). */
  onActivity(): void;
  /** The session's counters: bytes of requests written and answers read are added. */
  traffic: { sent: number; received: number };
  /** Frame reading options that count what is read into `traffic`. */
  counted: FrameLimits;
}

/** Asks the peer of one connection. */
export class Requester {
  #o: RequesterOptions;

  constructor(options: RequesterOptions) {
    this.#o = options;
  }

  #sent(chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.#o.traffic.sent += chunk.length;
  }

  /** Sends one frame on a new stream and returns the raw response frame. */
  async exchange(
    header: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<Frame> {
    const chunks = this.#encodeRequest(header);
    const timeout = AbortSignal.timeout(options.timeoutMs ?? LIMITS.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let stream: StreamPair;
    try {
      stream = await this.#open(signal);
    } catch (error) {
      throw requestFailure(error, timeout);
    }
    const reader = new FrameReader(stream.readable, this.#o.counted);
    const writer = stream.writable.getWriter();
    const onAbort = () => {
      reader.cancel(signal.reason);
      writer.abort(signal.reason).catch(() => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await writeEncoded(writer, chunks);
      this.#sent(chunks);
      await writer.close();
      const frame = await reader.read(options.allocate);
      if (!frame) throw new RequestError("unreachable", "peer closed the stream without answer");
      this.#o.onActivity();
      return frame;
    } catch (error) {
      throw this.#failure(error, signal.aborted, timeout);
    } finally {
      signal.removeEventListener("abort", onAbort);
      writer.releaseLock();
    }
  }

  /** A new stream for a request; one that opens only after `signal` aborted is reset. */
  #open(signal: AbortSignal): Promise<StreamPair> {
    return abortable(this.#o.openStream(), {
      signal,
      dispose: (late) => late.writable.abort().catch(() => {}),
    });
  }

  #encodeRequest(header: Record<string, unknown>): Uint8Array[] {
    try {
      return encodeFrame(header);
    } catch (error) {
      // Ours, not the peer's: say so loudly, and leave the connection alone.
      const message = `cannot send ${String(header.type)}: ${errorMessage(error)}`;
      this.#o.log.error(`${message} (to ${this.#o.label()})`);
      throw new RequestError("too-large", message);
    }
  }

  /**
   * What a failed request means. A frame cut short because we gave up on it
   * (`aborted`: abort, timeout) is not the peer's fault; any other framing
   * error is, and closes the connection.
   */
  #failure(error: unknown, aborted: boolean, timeout: AbortSignal): RequestError {
    if (error instanceof FramingError && !aborted) {
      this.#o.close(CLOSE.protocolViolation, `framing: ${error.message}`);
      return new RequestError("bad-request", `peer broke framing: ${error.message}`);
    }
    return requestFailure(error, timeout);
  }

  /** Sends a request and validates the response. */
  async request(
    request: Request,
    options: RequestOptions = {},
  ): Promise<{ message: Response; payload?: Uint8Array }> {
    const frame = await this.exchange(request, options);
    return { message: parseResponse(frame.header), payload: frame.payload };
  }

  /**
   * Sends a request and reads the answer's header; its payload is read piece
   * by piece through the returned {@linkcode StreamedAnswer}, as it arrives,
   * so that a large answer is used while it is still on its way.
   */
  async stream(request: Request, options: RequestOptions = {}): Promise<StreamedAnswer> {
    const chunks = this.#encodeRequest(request);
    const timeoutMs = options.timeoutMs ?? LIMITS.requestTimeoutMs;
    // The timeout is re-armed for each piece of payload: a long answer is no failure, a stall is.
    const timeout = new AbortController();
    let timer = setTimeout(() => timeout.abort(new Error("timed out")), timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout.signal])
      : timeout.signal;
    let stream: StreamPair;
    try {
      stream = await this.#open(signal);
    } catch (error) {
      clearTimeout(timer);
      throw requestFailure(error, timeout.signal);
    }
    const reader = new FrameReader(stream.readable, this.#o.counted);
    const writer = stream.writable.getWriter();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (reader.payloadLeft > 0) reader.cancel("not needed");
      writer.releaseLock();
    };
    const onAbort = () => {
      reader.cancel(signal.reason);
      writer.abort(signal.reason).catch(() => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const fail = (error: unknown): never => {
      const aborted = signal.aborted;
      close();
      throw this.#failure(error, aborted, timeout.signal);
    };
    let message: Response;
    try {
      await writeEncoded(writer, chunks);
      this.#sent(chunks);
      await writer.close();
      const head = await reader.readHeader();
      if (!head) throw new RequestError("unreachable", "peer closed the stream without answer");
      this.#o.onActivity();
      message = parseResponse(head.header);
    } catch (error) {
      return fail(error);
    }
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => timeout.abort(new Error("timed out")), timeoutMs);
    };
    rearm();
    return {
      message,
      get left() {
        return reader.payloadLeft;
      },
      read: async (into) => {
        if (closed) throw new RequestError("unreachable", "answer closed");
        try {
          const got = await reader.readPayload(into);
          rearm();
          return got;
        } catch (error) {
          return fail(error);
        }
      },
      close,
    };
  }
}

/** A response header as the protocol defines it, or a `bad-request` RequestError. */
function parseResponse(header: Record<string, unknown>): Response {
  const parsed = Response.safeParse(header);
  if (!parsed.success) {
    throw new RequestError("bad-request", `invalid response: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function requestFailure(error: unknown, timeout: AbortSignal): RequestError {
  if (error instanceof RequestError) return error;
  if (timeout.aborted) return new RequestError("timeout", "request timed out");
  return new RequestError("unreachable", errorMessage(error));
}
