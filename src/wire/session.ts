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
 * The answering side is responder.ts and the asking side requester.ts; this
 * file holds the connection they share, and counts the bytes of both.
 *
 * @module
 */
import type { Frame } from "./framing.ts";
import { type Handler, Responder } from "./responder.ts";
import { Requester, type RequestOptions, type StreamedAnswer } from "./requester.ts";
import type { Request, Response } from "./messages.ts";
import type { CloseInfo, Connection, HostPort, StreamPair } from "./transport.ts";
import { type Logger, silentLogger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";

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
  #requester: Requester;

  constructor(conn: Connection, options: SessionOptions = {}) {
    this.conn = conn;
    this.#incoming = conn.incomingStreams.getReader();
    this.#log = options.log ?? silentLogger;
    this.#onActivity = options.onActivity ?? (() => {});
    const parts = {
      log: this.#log,
      label: () => this.#peerLabel(),
      close: (code: number, reason: string) => this.close(code, reason),
      onActivity: () => this.#onActivity(),
      traffic: this.#traffic,
      counted: this.#counted,
    };
    this.#responder = new Responder(parts);
    this.#requester = new Requester({ ...parts, openStream: () => this.conn.openStream() });
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

  /** Sends one frame on a new stream and returns the raw response frame. */
  exchange(header: Record<string, unknown>, options: RequestOptions = {}): Promise<Frame> {
    return this.#requester.exchange(header, options);
  }

  /** Sends a request and validates the response. */
  request(
    request: Request,
    options: RequestOptions = {},
  ): Promise<{ message: Response; payload?: Uint8Array }> {
    return this.#requester.request(request, options);
  }

  /**
   * Sends a request and reads the answer's header; its payload is read piece
   * by piece through the returned {@linkcode StreamedAnswer}, as it arrives,
   * so that a large answer is used while it is still on its way.
   */
  stream(request: Request, options: RequestOptions = {}): Promise<StreamedAnswer> {
    return this.#requester.stream(request, options);
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
