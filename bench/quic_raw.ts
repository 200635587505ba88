/**
 * The ceiling for any protocol on top of Deno's QUIC: a sender process that
 * writes bytes onto streams as fast as it can, with nothing else in the way.
 * Run as a child process by the benchmarks: prints its port, then serves
 * (on 127.0.0.1, or the address given, e.g. inside a network namespace).
 *
 * A client opens a stream, writes an 8-byte big-endian count and closes its
 * side; the sender answers with that many bytes.
 *
 * @module
 */
import { Party, PARTY_SERVER_NAME } from "../src/trust/party.ts";
import { loadIdentity } from "../src/trust/identity.ts";

export const RAW_ALPN = "lanspread-bench-raw";

/** Bytes a timed pull is preceded by, to open the congestion window (quic_raw_pull.ts). */
export const RAW_WARM_UP = 64 * 1024 * 1024;

/** Deno's congestion control names: "throughput" is Cubic, "low-latency" BBR. */
export type CongestionControl = "throughput" | "low-latency";

async function serve(
  stateDir: string,
  hostname = "127.0.0.1",
  congestionControl: CongestionControl = "throughput",
): Promise<void> {
  const party = await Party.derive("bench");
  const id = await loadIdentity(stateDir, party);
  const endpoint = new Deno.QuicEndpoint({ hostname, port: 0 });
  const listener = endpoint.listen({
    key: id.keyPem,
    cert: id.certPem,
    alpnProtocols: [RAW_ALPN],
    congestionControl,
  });
  console.log(JSON.stringify({ port: endpoint.addr.port, ca: party.caCertPem }));
  const chunk = new Uint8Array(1024 * 1024).fill(7);
  for await (const incoming of listener) {
    incoming.accept<false>().then(async (conn) => {
      for await (const stream of conn.incomingBidirectionalStreams) {
        (async () => {
          const reader = stream.readable.getReader();
          const { value } = await reader.read();
          const count = Number(new DataView(value!.buffer, value!.byteOffset).getBigUint64(0));
          const writer = stream.writable.getWriter();
          for (let sent = 0; sent < count; sent += chunk.length) {
            await writer.ready;
            writer.write(count - sent >= chunk.length ? chunk : chunk.subarray(0, count - sent));
          }
          await writer.close();
        })().catch(() => {});
      }
    }).catch(() => {});
  }
}

/** Client side: connects to a raw sender. */
export async function connectRaw(
  port: number,
  ca: string,
  hostname = "127.0.0.1",
  congestionControl: CongestionControl = "throughput",
): Promise<Deno.QuicConn> {
  const conn = await Deno.connectQuic({
    hostname,
    port,
    serverName: PARTY_SERVER_NAME,
    caCerts: [ca],
    alpnProtocols: [RAW_ALPN],
    congestionControl,
  });
  await conn.handshake;
  return conn;
}

/**
 * Reads `bytes` spread over `streams` parallel streams; returns MB/s. With
 * `sink`, every byte is also written to that file, as a download must.
 */
export async function pullRaw(
  conn: Deno.QuicConn,
  bytes: number,
  streams: number,
  sink?: Deno.FsFile,
) {
  const share = Math.ceil(bytes / streams);
  const started = performance.now();
  await Promise.all(Array.from({ length: streams }, async () => {
    const stream = await conn.createBidirectionalStream();
    const header = new Uint8Array(8);
    new DataView(header.buffer).setBigUint64(0, BigInt(share));
    const writer = stream.writable.getWriter();
    await writer.write(header);
    await writer.close();
    let got = 0;
    for await (const part of stream.readable) {
      got += part.length;
      if (sink) await sink.write(part);
    }
    if (got !== share) throw new Error(`short read ${got} of ${share}`);
  }));
  const seconds = (performance.now() - started) / 1000;
  return (share * streams) / seconds / 1e6;
}

// Args: STATE_DIR [HOST] [CONGESTION_CONTROL].
if (import.meta.main) {
  const [dir, host, cc] = Deno.args;
  await serve(dir ?? await Deno.makeTempDir(), host, cc as CongestionControl | undefined);
}
