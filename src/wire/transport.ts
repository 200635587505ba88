/**
 * QUIC transport (RFC 9000) over Deno's unstable QUIC API: the only module
 * that touches `Deno.Quic*`. One UDP endpoint serves both directions: it
 * listens, and outbound connections leave from the same port (README "How peers talk").
 *
 * The rest of the peer sees {@linkcode Connection}s carrying web-stream
 * pairs, so everything above this file is testable without sockets.
 *
 * @module
 */
import { abortable } from "../common/async.ts";
import { LIMITS } from "./protocol.ts";
import { errorMessage } from "../common/errors.ts";

/** One bidirectional stream. */
export interface StreamPair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /**
   * Sets the stream's send priority: data of higher ones goes first, equal
   * ones share the link (QUIC streams; absent on in-memory test streams).
   */
  setPriority?(priority: number): void;
}

export interface HostPort {
  hostname: string;
  port: number;
}

/** Why a connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** An established, TLS-verified QUIC connection. */
export interface Connection {
  readonly remoteAddr: HostPort;
  /** The negotiated ALPN protocol. */
  readonly protocol: string | undefined;
  /** Opens a stream, waiting for stream credit when the peer's limit is reached. */
  openStream(): Promise<StreamPair>;
  /** Streams the peer opens. */
  readonly incomingStreams: ReadableStream<StreamPair>;
  close(code: number, reason: string): void;
  /** Resolves (never rejects) when the connection is gone. */
  readonly closed: Promise<CloseInfo>;
}

/** A TLS failure in words a user can act on. */
export function explainTlsError(message: string): string {
  if (/UnknownIssuer|BadSignature/i.test(message)) {
    return `${message} (the other side belongs to another party: different party key)`;
  }
  if (/not valid for name/i.test(message)) {
    return `${message} (another peer answers at that address)`;
  }
  return message;
}

/** Options for {@linkcode Transport.bind}. */
export interface TransportOptions {
  /** Address to bind. @default {"0.0.0.0"} */
  hostname?: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /** PEM key and certificate chain presented to clients. */
  keyPem: string;
  certPem: string;
  /** PEM trust anchor for outbound connections (the party CA). */
  caCertPem: string;
  /** ALPN protocols we speak, preferred first. */
  alpnProtocols: string[];
  /** Idle time after which QUIC itself declares the peer dead. @default {LIMITS.livenessTimeoutMs} */
  maxIdleTimeoutMs?: number;
  /** QUIC keep-alive period. @default {LIMITS.pingIdleMs} */
  keepAliveMs?: number;
}

export interface ConnectOptions extends HostPort {
  /** TLS server name the certificate must be valid for. */
  serverName: string;
  signal?: AbortSignal;
}

function pairOf(s: Deno.QuicBidirectionalStream): StreamPair {
  return {
    readable: s.readable,
    writable: s.writable,
    setPriority: (priority) => {
      s.writable.sendOrder = priority;
    },
  };
}

function wrap(conn: Deno.QuicConn): Connection {
  const incomingStreams = conn.incomingBidirectionalStreams.pipeThrough(
    new TransformStream<Deno.QuicBidirectionalStream, StreamPair>({
      transform: (s, out) => out.enqueue(pairOf(s)),
    }),
  );
  const closed = conn.closed.then(
    (info) => ({ code: info.closeCode, reason: info.reason }),
    (error) => ({ code: -1, reason: errorMessage(error) }),
  );
  return {
    remoteAddr: { hostname: conn.remoteAddr.hostname, port: conn.remoteAddr.port },
    protocol: conn.protocol,
    openStream: () => conn.createBidirectionalStream({ waitUntilAvailable: true }).then(pairOf),
    incomingStreams,
    close: (code, reason) => {
      try {
        conn.close({ closeCode: code, reason });
      } catch {
        // Already closed.
      }
    },
    closed,
  };
}

/** The peer's QUIC endpoint: bound on construction, closed by {@linkcode close}. */
export class Transport {
  #endpoint: Deno.QuicEndpoint;
  #listener: Deno.QuicListener;
  #o: Required<Omit<TransportOptions, "hostname" | "port">>;
  #closed = false;

  private constructor(endpoint: Deno.QuicEndpoint, options: TransportOptions) {
    this.#endpoint = endpoint;
    this.#o = {
      keyPem: options.keyPem,
      certPem: options.certPem,
      caCertPem: options.caCertPem,
      alpnProtocols: options.alpnProtocols,
      maxIdleTimeoutMs: options.maxIdleTimeoutMs ?? LIMITS.livenessTimeoutMs,
      keepAliveMs: options.keepAliveMs ?? LIMITS.pingIdleMs,
    };
    this.#listener = endpoint.listen({
      key: options.keyPem,
      cert: options.certPem,
      alpnProtocols: options.alpnProtocols,
      ...this.#transportOptions(),
    });
  }

  /** Binds the UDP port and starts listening; throws if the port is taken. */
  static bind(options: TransportOptions): Transport {
    const endpoint = new Deno.QuicEndpoint({
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port,
    });
    try {
      return new Transport(endpoint, options);
    } catch (error) {
      endpoint.close();
      throw error;
    }
  }

  /** The bound address (the real port when 0 was asked for). */
  get addr(): HostPort {
    const { hostname, port } = this.#endpoint.addr;
    return { hostname, port };
  }

  #transportOptions(): Deno.QuicTransportOptions {
    return {
      maxIdleTimeout: this.#o.maxIdleTimeoutMs,
      keepAliveInterval: this.#o.keepAliveMs,
      maxConcurrentBidirectionalStreams: LIMITS.maxStreamsInFlight,
      maxConcurrentUnidirectionalStreams: 0,
      congestionControl: "throughput",
    };
  }

  /**
   * Accepts connections until the transport closes, handing each one that
   * completes its TLS handshake to `onConnection`; failed handshakes go to
   * `onRefused` with the reason.
   */
  async accept(
    onConnection: (conn: Connection) => void,
    onRefused: (reason: string) => void,
  ): Promise<void> {
    while (!this.#closed) {
      let incoming: Deno.QuicIncoming;
      try {
        incoming = await this.#listener.incoming();
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      // Deno 2.9 quirk: reading any property of a QuicIncoming (remoteAddr
      // included) consumes its resource and makes accept() fail, so only
      // the accepted connection tells where it came from.
      (async () => {
        const conn = await incoming.accept<false>(this.#transportOptions());
        await conn.handshake;
        return conn;
      })().then(
        (conn) => onConnection(wrap(conn)),
        (error) => onRefused(explainTlsError(errorMessage(error))),
      );
    }
  }

  /** Connects to a peer, verifying its certificate against the party CA and `serverName`. */
  async connect(options: ConnectOptions): Promise<Connection> {
    options.signal?.throwIfAborted();
    const pending = Deno.connectQuic<false>({
      hostname: options.hostname,
      port: options.port,
      serverName: options.serverName,
      caCerts: [this.#o.caCertPem],
      alpnProtocols: this.#o.alpnProtocols,
      endpoint: this.#endpoint,
      ...this.#transportOptions(),
    }).then(async (conn) => {
      await conn.handshake;
      return conn;
    });
    // QUIC does not notice a closed port (ICMP is ignored), so bound the wait ourselves.
    const timeout = AbortSignal.timeout(LIMITS.connectTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const conn = await abortable(pending, { signal, dispose: (late) => late.close() }).catch(
      (error) => {
        if (timeout.aborted && !options.signal?.aborted) {
          throw new Error(`no answer within ${LIMITS.connectTimeoutMs} ms`);
        }
        throw new Error(explainTlsError(errorMessage(error)));
      },
    );
    return wrap(conn);
  }

  /** Closes every connection and the endpoint. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.stop();
    } catch {
      // Already stopped.
    }
    try {
      this.#endpoint.close({ closeCode: 0, reason: "shutdown" });
    } catch {
      // Already closed.
    }
  }
}
