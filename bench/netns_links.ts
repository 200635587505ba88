/**
 * Links of the namespace bench (see netns_download_bench.ts): a rate cap on
 * each node's egress (`tc ... tbf`), `iperf3` through those caps, and the
 * counters a run is explained with (bytes sent per interface, machine-wide
 * CPU). Everything runs inside the namespaces of a {@linkcode withTestbed}
 * LAN; nothing touches the machine's own interfaces.
 *
 * @module
 */
import { join } from "node:path";
import { netnsUnavailable, type TestNode } from "../tests/netns.ts";
import { ROOT } from "../tests/peer_process.ts";
import { cpuSeconds } from "./download_bench.ts";
import { RAW_WARM_UP } from "./quic_raw.ts";

/** Why the namespace bench cannot run here (not root, a tool missing), or null. */
export async function netnsBenchUnavailable(tools: string[]): Promise<string | null> {
  const reason = await netnsUnavailable();
  if (reason) return reason;
  for (const tool of tools) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output()
      .then((o) => o.success, () => false);
    if (!found) return `\`${tool}\` is not installed`;
  }
  return null;
}

/** Runs `cmd` in `node`; its stdout, or an error naming the node and stderr. */
export async function check(node: TestNode, cmd: string[], timeoutMs = 10_000): Promise<string> {
  const r = await node.exec(cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${node.ns}: ${cmd.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Caps what `node` sends at `bits` per second (tbf on its LAN interface), or
 * removes the cap when `bits` is null. Only the sender's side is capped: the
 * data flows from seeds, their ACKs and requests flow back unhindered.
 */
export async function capLink(node: TestNode, bits: number | null): Promise<void> {
  if (bits === null) {
    await node.exec(["tc", "qdisc", "del", "dev", node.iface, "root"]);
    return;
  }
  // tbf needs burst >= rate / HZ to reach its rate; rate / 100 holds for any HZ >= 100.
  const burst = Math.max(16_000, Math.ceil(bits / 8 / 100));
  // deno-fmt-ignore
  await check(node, [
    "tc", "qdisc", "replace", "dev", node.iface, "root", "tbf",
    "rate", `${bits}bit`, "burst", `${burst}`, "latency", "50ms",
  ]);
}

/** Bytes `node` has sent on its LAN interface (read locally, no traffic). */
export async function txBytes(node: TestNode): Promise<number> {
  return Number(await check(node, ["cat", `/sys/class/net/${node.iface}/statistics/tx_bytes`]));
}

/** Machine-wide CPU seconds (/proc/stat): [busy (steal too: others had it), softirq, iowait]. */
export async function machineCpu(): Promise<number[]> {
  // cpu  user nice system idle iowait irq softirq steal
  const f = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!.trim().split(/\s+/)
    .slice(1, 9).map((n) => Number(n) / 100);
  return [f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!, f[6]!, f[4]!];
}

/** Options of {@linkcode iperf}. */
export interface IperfOptions {
  /** Length of the measurement. @default {8} */
  seconds?: number;
}

/**
 * iperf3 TCP from each client to its own server in `server`, all at once;
 * MB/s (1e6 bytes) received per client. The servers are one-off (`-1`).
 */
export async function iperf(
  server: TestNode,
  clients: TestNode[],
  options: IperfOptions = {},
): Promise<number[]> {
  const seconds = options.seconds ?? 8;
  const ports = clients.map((_, i) => 5201 + i);
  const daemons = ports.map((p) => server.spawn(["iperf3", "-s", "-1", "-p", `${p}`]));
  try {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const listening = await check(server, ["ss", "-Hltn"]);
      if (ports.every((p) => listening.includes(`:${p} `))) break;
      if (Date.now() > deadline) throw new Error("iperf3 servers did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    return await Promise.all(clients.map(async (client, i) => {
      const args = ["-c", server.address, "-p", `${ports[i]}`, "-t", `${seconds}`, "-J"];
      const out = JSON.parse(await check(client, ["iperf3", ...args], seconds * 1000 + 20_000));
      return out.end.sum_received.bits_per_second / 8e6;
    }));
  } finally {
    for (const d of daemons) {
      try {
        d.kill("SIGKILL");
      } catch { /* one-off server already exited */ }
    }
    await Promise.allSettled(daemons.map((d) => d.output()));
  }
}

/**
 * Reads a child's stdout and stderr to the end so that it never blocks on a
 * full pipe; `tail()` gives the last lines, for error messages.
 */
export function drain(child: Deno.ChildProcess): { tail: () => string; done: Promise<void> } {
  let text = "";
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > 100_000) text = text.slice(-50_000);
    }
  };
  const done = Promise.allSettled([read(child.stdout), read(child.stderr)]).then(() => {});
  return { tail: () => text.split("\n").slice(-30).join("\n"), done };
}

/** What {@linkcode rawQuic} measured. */
export interface RawQuicRun {
  mbps: number;
  /** CPU seconds of the receiving and the sending process during the timed pull. */
  receiverCpu: number;
  senderCpu: number;
}

/**
 * Raw Deno QUIC through the link: quic_raw.ts sends from `server`, quic_raw_pull.ts
 * receives `bytes` in `client` on one stream (into a file under `scratch` when
 * `sink`). The ceiling for anything on Deno's QUIC over this link, and its CPU
 * floor, with the congestion control named (lanspread's is "throughput",
 * Cubic; "low-latency" is BBR, what the namespaces' TCP uses).
 */
export async function rawQuic(
  server: TestNode,
  client: TestNode,
  bytes: number,
  congestionControl: "throughput" | "low-latency",
  scratch: string,
  sink = false,
): Promise<RawQuicRun> {
  const deno = [Deno.execPath(), "run", "--unstable-net", "-A"];
  const sender = server.spawn([
    ...deno,
    join(ROOT, "bench/quic_raw.ts"),
    join(scratch, "raw-sender-state"),
    server.address,
    congestionControl,
  ], { stdin: "null" });
  const reader = sender.stdout.pipeThrough(new TextDecoderStream()).getReader();
  sender.stderr.cancel().catch(() => {});
  try {
    let text = "";
    const timer = setTimeout(() => sender.kill("SIGKILL"), 30_000); // ends the read below
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("raw QUIC sender exited or did not start");
      text += value;
    }
    clearTimeout(timer);
    const { port, ca } = JSON.parse(text);
    const caFile = join(scratch, "raw-ca.pem");
    await Deno.writeTextFile(caFile, ca);
    const pull = join(ROOT, "bench/quic_raw_pull.ts");
    const args = [server.address, `${port}`, caFile, `${bytes}`, congestionControl];
    if (sink) args.push(join(scratch, "raw-sink.bin"));
    const before = await cpuSeconds(sender.pid);
    const out = await check(client, [...deno, pull, ...args], 30_000 + bytes / 10e3);
    // The sender also sent the pull's 64 MiB warm-up: its share of the CPU is taken out.
    const senderCpu = (await cpuSeconds(sender.pid) - before) * bytes / (bytes + RAW_WARM_UP);
    const { mbps, cpu } = JSON.parse(out);
    return { mbps, receiverCpu: cpu, senderCpu };
  } finally {
    try {
      sender.kill("SIGKILL");
    } catch { /* gone */ }
    await sender.status;
    reader.cancel().catch(() => {});
  }
}
