/**
 * Request/response over one connection: each request is one bidirectional
 * stream carrying one request frame and one response frame (protocol.ts).
 *
 * A framing violation by the peer (bad length, oversized header, truncated
 * frame) closes the whole connection: the stream can no longer be trusted
 * and neither can the peer. A frame that is well-formed but not a valid
 * message gets a `bad-request` error (logged) and the connection lives on.
 * A frame of ours that would not fit is never sent half: it is an error in
 * our log, and the peer gets an `internal` answer instead of a closed stream.
 * The answering side is responder.ts; this file asks, and counts the bytes
 * of both.
 *
 * @module
 */
import { abortable } from "../common/async.ts";
import { encodeFrame, type Frame, FrameReader, FramingError, writeEncoded } from "./framing.ts";
import { type Handler, Responder } from "./responder.ts";
import { CLOSE, describeIssues, LIMITS } from "./protocol.ts";
import { Request, Response } from "./messages.ts";
import type { CloseInfo, Connection, HostPort, StreamPair } from "./transport.ts";
import { type Logger, silentLogger } from "../common/log.ts";
import { errorMessage, LanspreadError } from "../common/errors.ts";

export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * Time for the answer to arrive; for a streamed answer ({@linkcode
   * Session.stream}) the time to its header and then between its pieces.
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

/** What a downloader reports with {@linkcode Session.reportBadBlock}. */
export interface BadBlock {
  game: string;
  /** The file's path as in the manifest. */
  path: string;
  /** The block's index within that file. */
  index: number;
}

/** Frame bytes (headers and payloads) sent and received on one connection. */
export interface Traffic {
  sent: number;
  received: number;
}

export interface SessionOptions {
  log?: Logger;
  /** Called whenever anything arrives from the peer (liveness). */
  onActivity?: () => void;
}

/**
 * The answer of {@linkcode Session.stream}: its validated header, and its
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

/** One connection, before and after hello. */
export class Session {
  readonly conn: Connection;
  #incoming: ReadableStreamDefaultReader<StreamPair>;
  #log: Logger;
  #onActivity: () => void;
  /** Frame bytes sent and received on this connection, both directions of every stream. */
  #traffic: Traffic = { sent: 0, received: 0 };
  #counted = { onBytes: (bytes: number) => void (this.#traffic.received += bytes) };
  #responder: Responder;

  constructor(conn: Connection, options: SessionOptions = {}) {
    this.conn = conn;
    this.#incoming = conn.incomingStreams.getReader();
    this.#log = options.log ?? silentLogger;
    this.#onActivity = options.onActivity ?? (() => {});
    this.#responder = new Responder({
      log: this.#log,
      label: () => this.#peerLabel(),
      close: (code, reason) => this.close(code, reason),
      onActivity: () => this.#onActivity(),
      traffic: this.#traffic,
      counted: this.#counted,
    });
  }

  get remoteAddr(): HostPort {
    return this.conn.remoteAddr;
  }

  get closed(): Promise<CloseInfo> {
    return this.conn.closed;
  }

  close(code: number, reason: string): void {
    this.conn.close(code, reason);
  }

  /** Frame bytes sent and received so far on this connection. */
  get traffic(): Traffic {
    return { ...this.#traffic };
  }

  #sent(chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.#traffic.sent += chunk.length;
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
    const reader = new FrameReader(stream.readable, this.#counted);
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
      this.#onActivity();
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
    return abortable(this.conn.openStream(), {
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
      this.#log.error(`${message} (to ${this.#peerLabel()})`);
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
      this.close(CLOSE.protocolViolation, `framing: ${error.message}`);
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
    const reader = new FrameReader(stream.readable, this.#counted);
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
      this.#onActivity();
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

  /**
   * Tells the peer that a block it served failed verification against its
   * manifest, so that it re-checks the file (protocol v2). Best effort: true
   * when the peer took the report, false (never a rejection) otherwise.
   */
  async reportBadBlock(block: BadBlock, options: RequestOptions = {}): Promise<boolean> {
    try {
      const reply = await this.request({ type: "report-bad-block", ...block }, options);
      return reply.message.type === "ok";
    } catch (error) {
      this.#log.debug(
        `report of a bad block to ${this.#peerLabel()} failed: ${errorMessage(error)}`,
      );
      return false;
    }
  }

  /** The next stream the peer opens, or null once the connection is gone. */
  async nextStream(): Promise<StreamPair | null> {
    try {
      const { done, value } = await this.#incoming.read();
      return done ? null : value;
    } catch {
      return null;
    }
  }

  /** Serves every stream the peer opens until the connection closes. */
  async serve(handler: Handler): Promise<void> {
    for (;;) {
      const stream = await this.nextStream();
      if (!stream) return;
      this.#responder.serve(stream, handler).catch((error) =>
        this.#log.debug(`stream from ${this.#peerLabel()} ended: ${errorMessage(error)}`)
      );
    }
  }

  #peerLabel(): string {
    return `${this.remoteAddr.hostname}:${this.remoteAddr.port}`;
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
