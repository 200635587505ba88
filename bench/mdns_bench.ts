/**
 * mDNS discovery figures (issue 3):
 * - time from a node's start to its appearing in another namespace's
 *   browser (target < 1 s), and from its shutdown to its removal (< 1 s);
 * - multicast packets per node per minute in steady state with 10 nodes.
 *
 * Two sources:
 * - real: 10 `tests/fixtures/mdns_node.ts` processes in network namespaces
 *   (root + iproute2 needed, else skipped with the reason). Traffic is
 *   counted over a short window and scaled to a minute; a short window
 *   cannot contain the refresh queries that come every ~97 s;
 * - simulated: the same protocol code on an in-memory link with a
 *   simulated clock, 10 nodes over two hours after a warm-up: the long-run
 *   rate, refreshes included.
 *
 * `deno run --unstable-net -A bench/mdns_bench.ts`, or call
 * {@linkcode benchMdns} (prints; from `bench/main.ts`) or
 * {@linkcode mdnsBench} (returns the figures).
 *
 * @module
 */
import { SimLink } from "../src/mdns/simulation.ts";
import { netnsUnavailable, withTestbed } from "../tests/netns.ts";
import { MdnsNodeProcess } from "../tests/mdns_nodes.ts";

/** Summary of a set of samples, in ms. */
export interface Samples {
  median: number;
  max: number;
  count: number;
}

/** What {@linkcode mdnsBench} measures. */
export interface MdnsBenchResult {
  simulated: {
    nodes: number;
    hours: number;
    multicastPerNodePerMinute: number;
    startToVisibleMs: Samples;
  };
  real:
    | { skipped: string }
    | {
      nodes: number;
      startToVisibleMs: Samples;
      shutdownToRemovalMs: Samples;
      windowSeconds: number;
      multicastPerNodePerMinute: number;
    };
}

/** Options of {@linkcode mdnsBench}. */
export interface MdnsBenchOptions {
  /** Nodes in both runs. @default {10} */
  nodes?: number;
  /** Real steady-state window. @default {30} */
  windowSeconds?: number;
  /** Progress lines. @default {none} */
  log?: (line: string) => void;
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const peerId = (i: number) => (B32[Math.floor(i / 32)]! + B32[i % 32]!).repeat(8);

function summarize(values: number[]): Samples {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    median: round(sorted[Math.floor(sorted.length / 2)] ?? NaN),
    max: round(sorted.at(-1) ?? NaN),
    count: sorted.length,
  };
}

/** The protocol on a simulated link: cold start, then two hours of steady state. */
export function simulate(nodes = 10, hours = 2): MdnsBenchResult["simulated"] {
  const link = new SimLink({ seed: 2024 });
  const all = Array.from(
    { length: nodes },
    (_, i) => link.add({ name: `node${i}`, peerId: peerId(i) }),
  );
  link.run(60_000);
  const startToVisible = all.flatMap((n) =>
    n.events.filter((e) => e.kind === "peer").map((e) => e.at)
  );
  const before = all.map((n) => n.multicasts.length);
  link.run(hours * 3600_000);
  const sent = all.reduce((sum, n, i) => sum + n.multicasts.length - before[i]!, 0);
  return {
    nodes,
    hours,
    multicastPerNodePerMinute: Math.round((sent / nodes / (hours * 60)) * 100) / 100,
    startToVisibleMs: summarize(startToVisible),
  };
}

async function real(
  nodes: number,
  windowSeconds: number,
  log: (l: string) => void,
): Promise<MdnsBenchResult["real"]> {
  const reason = await netnsUnavailable();
  if (reason) return { skipped: reason };
  return await withTestbed({ nodes }, async (bed) => {
    const procs: MdnsNodeProcess[] = [];
    try {
      const start = (i: number) =>
        procs.push(
          new MdnsNodeProcess(bed.nodes[i]!, ["--name", `node${i}`, "--peer-id", peerId(i)]),
        );
      // All but the last first, so the last one's start is measured against a settled LAN.
      for (let i = 0; i < nodes - 1; i++) start(i);
      for (const p of procs) {
        await p.waitFor(() => p.peerIds().size === nodes - 2, 30_000, "the first nodes to meet");
      }
      log(`mdns bench: ${nodes - 1} nodes up; starting node ${nodes - 1}`);
      start(nodes - 1);
      const last = procs.at(-1)!;
      const lastId = peerId(nodes - 1);
      const started = (await last.waitFor((e) => e.event === "started", 10_000)).t;
      const visible: number[] = [];
      for (const p of procs.slice(0, -1)) {
        const seen = await p.waitFor(
          (e) => e.event === "peer" && (e.peer as { peerId: string }).peerId === lastId,
          10_000,
        );
        visible.push(seen.t - started);
      }
      await new Promise((r) => setTimeout(r, 5000));
      const counts = async () => {
        const before = procs.map((p) => p.events.length);
        await Promise.all(procs.map((p) => p.command("status")));
        const stats = await Promise.all(
          procs.map((p, i) =>
            p.waitFor((e) => e.event === "status" && p.events.indexOf(e) >= before[i]!, 5000)
          ),
        );
        return stats.map((s) => (s.stats as { multicastSent: number }).multicastSent);
      };
      const first = await counts();
      log(`mdns bench: counting multicast for ${windowSeconds} s`);
      await new Promise((r) => setTimeout(r, windowSeconds * 1000));
      const second = await counts();
      const sent = second.reduce((sum, n, i) => sum + n - first[i]!, 0);
      await last.stop();
      const stopping = last.events.find((e) => e.event === "stopping")!.t;
      const removal: number[] = [];
      for (const p of procs.slice(0, -1)) {
        const lost = await p.waitFor((e) => e.event === "lost" && e.peerId === lastId, 5000);
        removal.push(lost.t - stopping);
      }
      return {
        nodes,
        startToVisibleMs: summarize(visible),
        shutdownToRemovalMs: summarize(removal),
        windowSeconds,
        multicastPerNodePerMinute: Math.round((sent / nodes) * (60 / windowSeconds) * 100) / 100,
      };
    } finally {
      await Promise.all(procs.map((p) => p.close()));
    }
  });
}

/** Runs both measurements; bounded (about a minute with the defaults). */
export async function mdnsBench(options: MdnsBenchOptions = {}): Promise<MdnsBenchResult> {
  const nodes = options.nodes ?? 10;
  const log = options.log ?? (() => {});
  const simulated = simulate(nodes);
  log(
    `mdns bench: simulated ${nodes} nodes: ${simulated.multicastPerNodePerMinute} multicasts/node/min`,
  );
  return { simulated, real: await real(nodes, options.windowSeconds ?? 30, log) };
}

/** Runs {@linkcode mdnsBench} and prints its figures (what `bench/main.ts` calls). */
export async function benchMdns(options: MdnsBenchOptions = {}): Promise<MdnsBenchResult> {
  const r = await mdnsBench(options);
  const ms = (s: Samples) =>
    `median ${s.median.toFixed(0)} ms, max ${s.max.toFixed(0)} ms (n=${s.count})`;
  const sim = r.simulated;
  console.log(`mdns discovery, ${sim.nodes} nodes`);
  if ("skipped" in r.real) {
    console.log(`  network-namespace measurements skipped: ${r.real.skipped}`);
  } else {
    console.log(
      `  start -> seen in another namespace  ${ms(r.real.startToVisibleMs)} (target < 1000)`,
    );
    console.log(
      `  shutdown -> removed elsewhere       ${ms(r.real.shutdownToRemovalMs)} (target < 1000)`,
    );
    console.log(
      `  multicast per node per minute       ${r.real.multicastPerNodePerMinute} ` +
        `(real, ${r.real.windowSeconds} s window after start-up, scaled)`,
    );
  }
  console.log(
    `  multicast per node per minute       ${sim.multicastPerNodePerMinute} ` +
      `(simulated, ${sim.hours} h steady state incl. TTL refreshes)`,
  );
  console.log(`  start -> seen (simulated link)      ${ms(sim.startToVisibleMs)}`);
  return r;
}

if (import.meta.main) await benchMdns({ log: (l) => console.error(l) });
