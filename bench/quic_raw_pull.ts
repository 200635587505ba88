/**
 * The client side of quic_raw.ts as a process of its own, so that it can run
 * inside a network namespace (`ip netns exec NS deno run ...`): pulls `BYTES`
 * on one stream from a raw sender and prints `{"mbps": N}`. The first 64 MiB
 * warm the connection up (congestion window) and are not counted.
 *
 * Usage: `deno run --unstable-net -A bench/quic_raw_pull.ts HOST PORT CA_FILE BYTES [CC]`.
 *
 * @module
 */
import { type CongestionControl, connectRaw, pullRaw } from "./quic_raw.ts";

const [host, port, caFile, bytes, cc] = Deno.args;
const conn = await connectRaw(
  Number(port),
  await Deno.readTextFile(caFile!),
  host,
  cc as CongestionControl | undefined,
);
try {
  await pullRaw(conn, 64 * 1024 * 1024, 1);
  console.log(JSON.stringify({ mbps: await pullRaw(conn, Number(bytes), 1) }));
} finally {
  conn.close();
}
