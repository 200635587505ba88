/**
 * The client side of quic_raw.ts as a process of its own, so that it can run
 * inside a network namespace (`ip netns exec NS deno run ...`): pulls `BYTES`
 * on one stream from a raw sender and prints `{"mbps": N, "cpu": S}`, S being
 * this process's CPU seconds during the timed pull. The first 64 MiB warm the
 * connection up (congestion window) and are not counted. With `SINK`, every
 * byte is also written to that file (removed afterwards), as a download must.
 *
 * Usage: `deno run --unstable-net -A bench/quic_raw_pull.ts HOST PORT CA_FILE BYTES [CC] [SINK]`.
 *
 * @module
 */
import { type CongestionControl, connectRaw, pullRaw, RAW_WARM_UP } from "./quic_raw.ts";
import { cpuSeconds } from "./download_bench.ts";

const [host, port, caFile, bytes, cc, sinkPath] = Deno.args;
const conn = await connectRaw(
  Number(port),
  await Deno.readTextFile(caFile!),
  host,
  cc as CongestionControl | undefined,
);
try {
  await pullRaw(conn, RAW_WARM_UP, 1);
  const sink = sinkPath
    ? await Deno.open(sinkPath, { write: true, create: true, truncate: true })
    : undefined;
  try {
    const before = await cpuSeconds(Deno.pid);
    const mbps = await pullRaw(conn, Number(bytes), 1, sink);
    const cpu = await cpuSeconds(Deno.pid) - before;
    console.log(JSON.stringify({ mbps, cpu }));
  } finally {
    sink?.close();
    if (sinkPath) await Deno.remove(sinkPath).catch(() => {});
  }
} finally {
  conn.close();
}
