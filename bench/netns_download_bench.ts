/**
 * Swarm download over network namespaces (issue 4, needs root): each source's
 * link is capped at 1 Gbit/s with `tc ... tbf`, so unlike loopback there is a
 * real per-source bottleneck that only more sources can get around. Printed
 * beside baselines measured in the same run through the same capped links:
 * - one source against `iperf3` (TCP) over one link (target >= 95 %);
 * - three sources against one source (target >= 2.5x), and `iperf3` over the
 *   three links at once, which shows what the machine itself can carry;
 * - CPU of the downloader and the seeds, and each source's share of the bytes
 *   (read from its interface counters), to explain a shortfall.
 *
 * Layout: node 0 downloads (uncapped), nodes 1..3 seed the same file (hard
 * links of one fixture). All traffic stays inside the namespaces; mDNS is off.
 *
 * @module
 */
import { join } from "node:path";
import { PeerProcess } from "../tests/peer_process.ts";
import { tempTree } from "../tests/fixtures.ts";
import { netnsUnavailable, type TestNode, withTestbed } from "../tests/netns.ts";
import { cpuSeconds } from "./download_bench.ts";
import { writeBigFile } from "./peer_bench.ts";

const GiB = 1024 * 1024 * 1024;
const GAME = "Big";
const RATE_BITS = 1e9;
// tbf needs burst >= rate / HZ to reach its rate; rate / 100 holds for any HZ >= 100.
const BURST_BYTES = RATE_BITS / 8 / 100;
const IPERF_SECONDS = 8;
const QUIET = ["--log-level=warn"]; // so that anything on stderr is worth reporting

type Tree = Awaited<ReturnType<typeof tempTree>>;
type Seed = { node: TestNode; peer: PeerProcess };
/** CPU figures in % of one core: the downloader (all threads), the seeds together, packet
 * handling in softirq (the testbed's "network"), the rest of the machine (noise), iowait. */
interface Run {
  mbps: number;
  cpu: { downloader: number; seeds: number; softirq: number; rest: number; iowait: number };
  shares: number[]; // fraction of the bytes each seed sent
  trouble: string[];
}

/** Why this bench cannot run here, or null. */
async function unavailable(): Promise<string | null> {
  const reason = await netnsUnavailable();
  if (reason) return reason;
  for (const tool of ["tc", "iperf3"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output()
      .then((o) => o.success, () => false);
    if (!found) return `\`${tool}\` is not installed (iproute2 / iperf3 packages)`;
  }
  return null;
}

async function check(node: TestNode, cmd: string[], timeoutMs = 10_000): Promise<string> {
  const r = await node.exec(cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${node.ns}: ${cmd.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Machine-wide CPU seconds (/proc/stat): busy (steal too: others had it), softirq, iowait. */
async function machineCpu(): Promise<number[]> {
  // cpu  user nice system idle iowait irq softirq steal
  const f = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!.trim().split(/\s+/)
    .slice(1, 9).map((n) => Number(n) / 100);
  return [f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!, f[6]!, f[4]!];
}

/** Bytes the node has sent on its LAN interface (read locally, no traffic). */
async function txBytes(node: TestNode): Promise<number> {
  return Number(await check(node, ["cat", `/sys/class/net/${node.iface}/statistics/tx_bytes`]));
}

/** iperf3 TCP from each client to its own server in `server` at once; MB/s per client. */
async function iperf(server: TestNode, clients: TestNode[]): Promise<number[]> {
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
      const args = ["-c", server.address, "-p", `${ports[i]}`, "-t", `${IPERF_SECONDS}`, "-J"];
      const out = JSON.parse(
        await check(client, ["iperf3", ...args], IPERF_SECONDS * 1000 + 20_000),
      );
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

const wrap = (node: TestNode) => ["ip", "netns", "exec", node.ns];
const dialable = (s: Seed) =>
  `${s.node.address}:${s.peer.addr.slice(s.peer.addr.lastIndexOf(":") + 1)}`;

/** A fresh downloader in `node` fetches the game from `seeds`; figures of that run. */
async function download(t: Tree, label: string, node: TestNode, seeds: Seed[], size: number) {
  const dl = await PeerProcess.start({
    name: `${label}-dl`,
    gamesDir: t.path(`${label}-dl`),
    stateDir: t.path(`${label}-dl-state`),
    host: "0.0.0.0",
    wrapper: wrap(node),
    connect: seeds.map(dialable),
    extraArgs: QUIET,
  }, 30_000);
  try {
    await dl.command("wait-peers", { count: seeds.length, timeoutMs: 30_000 }, 35_000);
    await dl.until(
      async () => {
        const row = (await dl.games()).find((g) => g.id === GAME);
        return (row?.sources as string[] | undefined)?.length === seeds.length ? true : undefined;
      },
      30_000,
      "every seed offering the game",
    );
    const peers = [dl, ...seeds.map((s) => s.peer)];
    const errLen = peers.map((p) => p === dl ? 0 : p.stderr.length);
    // CPU seconds of each peer, then machine-wide busy / softirq / iowait, then bytes sent.
    const sample = async () => [
      ...await Promise.all(peers.map((p) => cpuSeconds(p.pid))),
      ...await machineCpu(),
      ...await Promise.all(seeds.map((s) => txBytes(s.node))),
    ];
    const before = await sample();
    const since = dl.records.length;
    const started = performance.now();
    await dl.command("download", { game: GAME });
    // Bounded: even 15 MB/s would be far below any target, and the bench must end.
    const limitMs = 30_000 + size / 15e3;
    const end = await dl.waitRecord(
      (r) =>
        r.type === "event" && r.game === GAME && /^download-(finished|failed)$/.test(`${r.event}`),
      limitMs,
      `end of the ${label} download`,
      since,
    );
    const seconds = (performance.now() - started) / 1000;
    if (end.event === "download-failed") throw new Error(`${label}: ${JSON.stringify(end)}`);
    const delta = (await sample()).map((x, i) => x - before[i]!);
    const cpu = delta.slice(0, peers.length).map((c) => c / seconds);
    const [busy, softirq, iowait] = delta.slice(peers.length).map((c) => c / seconds);
    const sent = delta.slice(peers.length + 3);
    const total = sent.reduce((a, b) => a + b, 0);
    // Anything unusual during the run: events a smooth download never emits, and stderr.
    const odd = ["download-stalled", "download-source-dropped", "peer-lost", "service-error"];
    const trouble = dl.records.slice(since)
      .filter((r) => r.type === "event" && odd.includes(`${r.event}`))
      .map((r) => `${label} downloader event: ${JSON.stringify(r)}`);
    for (const [i, p] of peers.entries()) {
      const lines = p.stderr.slice(errLen[i]).split("\n").filter((l) => l.trim());
      if (lines.length) {
        trouble.push(`${p.options.name} stderr (${lines.length} lines): ${lines[0]}`);
      }
    }
    const sum = (xs: number[]) => 100 * xs.reduce((a, b) => a + b, 0);
    return {
      mbps: (end.bytes as number) / seconds / 1e6,
      cpu: {
        downloader: 100 * cpu[0]!,
        seeds: sum(cpu.slice(1)),
        softirq: 100 * softirq!,
        // Clamped: per-process and machine-wide tick accounting overlap a little.
        rest: Math.max(0, 100 * (busy! - softirq!) - sum(cpu)),
        iowait: 100 * iowait!,
      },
      shares: sent.map((b) => b / total),
      trouble,
    } satisfies Run;
  } finally {
    await dl.shutdown();
    await Deno.remove(t.path(`${label}-dl`), { recursive: true }).catch(() => {});
  }
}

export async function benchNetnsDownloads(options: { bytes?: number } = {}): Promise<void> {
  const reason = await unavailable();
  if (reason) {
    console.log(`downloads over network namespaces: skipped (${reason})`);
    return;
  }
  const size = options.bytes ?? 2 * GiB;
  const t = await tempTree("lanspread-bench-netns-");
  try {
    const fixture = t.path("big.bin");
    await writeBigFile(fixture, size);
    await withTestbed({ nodes: 4, multicastRoute: false }, async (bed) => {
      const [target, ...sources] = bed.nodes as [TestNode, ...TestNode[]];
      for (const node of sources) {
        // deno-fmt-ignore
        await check(node, [
          "tc", "qdisc", "add", "dev", node.iface, "root", "tbf",
          "rate", `${RATE_BITS}bit`, "burst", `${BURST_BYTES}`, "latency", "50ms",
        ]);
      }
      const [oneLink] = await iperf(target, sources.slice(0, 1));
      const threeLinks = (await iperf(target, sources)).reduce((a, b) => a + b, 0);

      // All seeds start once and hash in parallel; each run gets a fresh downloader.
      const seeds: Seed[] = [];
      try {
        for (const [i, node] of sources.entries()) {
          const gamesDir = t.path(`seed${i + 1}`);
          await Deno.mkdir(join(gamesDir, GAME), { recursive: true });
          await Deno.writeTextFile(join(gamesDir, GAME, "version.ini"), "1");
          await Deno.link(fixture, join(gamesDir, GAME, "big.bin"));
          const peer = await PeerProcess.start({
            name: `seed${i + 1}`,
            gamesDir,
            stateDir: t.path(`seed${i + 1}-state`),
            host: "0.0.0.0",
            wrapper: wrap(node),
            extraArgs: QUIET,
          }, 30_000);
          seeds.push({ node, peer });
        }
        const hashMs = 60_000 + size / 20e3;
        await Promise.all(seeds.map((s) => s.peer.waitEvent("library-hashed", () => true, hashMs)));
        const one = await download(t, "one", target, seeds.slice(0, 1), size);
        const three = await download(t, "three", target, seeds, size);
        report(size, oneLink!, threeLinks, one, three);
      } finally {
        await Promise.all(seeds.map((s) => s.peer.shutdown()));
      }
    });
  } finally {
    await t.cleanup();
  }
}

function report(size: number, oneLink: number, threeLinks: number, one: Run, three: Run) {
  const pct = (x: number) => `${x.toFixed(0)} %`;
  const mbps = (x: number) => `${x.toFixed(0)} MB/s`;
  const times = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const cores = navigator.hardwareConcurrency;
  const gib = (size / GiB).toFixed(1);
  const rows: [string, string][] = [
    ["iperf3 (TCP), one capped link", mbps(oneLink)],
    ["iperf3, three capped links at once", `${mbps(threeLinks)} = ${times(threeLinks, oneLink)}`],
    ["one source", `${mbps(one.mbps)} = ${pct(100 * one.mbps / oneLink)} of iperf3 (>= 95 %)`],
    ["three sources", `${mbps(three.mbps)} = ${times(three.mbps, one.mbps)} one source (>= 2.5x)`],
    ["bytes sent per source, three", three.shares.map((s) => pct(100 * s)).join(" / ")],
  ];
  for (const [label, { cpu: c }] of [["one source", one], ["three sources", three]] as const) {
    rows.push([
      `CPU in % of a core, ${label}`,
      `downloader ${pct(c.downloader)}, seeds ${pct(c.seeds)}, softirq ${pct(c.softirq)}, ` +
      `rest ${pct(c.rest)}, iowait ${pct(c.iowait)}`,
    ]);
    if (c.downloader >= 90) rows.push(["", `note: the downloader used about a core or more`]);
    // Four peers and the kernel's packet path share the cores: near full, the links are no
    // longer what limits the rate.
    if (c.downloader + c.seeds + c.softirq + c.rest >= 80 * cores) {
      rows.push(["", `note: the machine's ${cores} cores were nearly full`]);
    }
    if (c.rest >= 25) rows.push(["", `note: other load on the machine skews this run`]);
  }
  for (const line of [...one.trouble, ...three.trouble]) rows.push(["", `warning: ${line}`]);
  console.log(`downloads over network namespaces, each source capped at 1 Gbit/s (${gib} GiB)`);
  for (const [label, text] of rows) console.log(`  ${label.padEnd(36)}${text}`);
}

// Run directly: `deno run --unstable-net -A bench/netns_download_bench.ts [MiB]`.
if (import.meta.main) {
  const mib = Number(Deno.args[0]);
  await benchNetnsDownloads(mib > 0 ? { bytes: mib * 1024 * 1024 } : {});
}
