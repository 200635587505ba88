/**
 * lanspread's side of the namespace bench: seeds of one game in some nodes
 * of the testbed (hashed before anything is timed), and timed downloads into
 * a fresh downloader, from the `download` command to `download-finished`
 * (commit included). mDNS is off; the downloader dials the seeds.
 *
 * @module
 */
import { join } from "node:path";
import { PeerProcess } from "../tests/peer_process.ts";
import type { TestNode } from "../tests/netns.ts";
import type { Tree } from "../tests/fixtures.ts";
import { cpuSeconds, systemSeconds } from "./download_bench.ts";
import { memoryOf } from "./peer_bench.ts";
import { firstWrite } from "./first_write.ts";
import { machineCpu, txBytes } from "./netns_links.ts";

const QUIET = ["--log-level=warn"]; // so that anything on stderr is worth reporting

/** A lanspread seed in a node of the testbed. */
export interface Seed {
  node: TestNode;
  peer: PeerProcess;
}

const wrap = (node: TestNode) => ["ip", "netns", "exec", node.ns];
const dialable = (s: Seed) =>
  `${s.node.address}:${s.peer.addr.slice(s.peer.addr.lastIndexOf(":") + 1)}`;

/**
 * Starts one seed per node, each sharing hard links of `gameDir` (a game
 * folder with its version.ini) as game `game`, and waits until all have
 * hashed it. Close them with {@linkcode stopSeeds}.
 */
export async function startSeeds(
  t: Tree,
  label: string,
  nodes: TestNode[],
  game: string,
  gameDir: string,
): Promise<Seed[]> {
  const seeds: Seed[] = [];
  try {
    for (const [i, node] of nodes.entries()) {
      const name = `${label}-seed${i + 1}`;
      await Deno.mkdir(t.path(name), { recursive: true });
      const cp = await new Deno.Command("cp", { args: ["-al", gameDir, t.path(name, game)] })
        .output();
      if (!cp.success) throw new Error(`cp -al ${gameDir}: ${new TextDecoder().decode(cp.stderr)}`);
      const peer = await PeerProcess.start({
        name,
        gamesDir: t.path(name),
        stateDir: t.path(`${name}-state`),
        host: "0.0.0.0",
        wrapper: wrap(node),
        extraArgs: QUIET,
      }, 30_000);
      seeds.push({ node, peer });
    }
    const hashMs = 120_000;
    await Promise.all(seeds.map((s) => s.peer.waitEvent("library-hashed", () => true, hashMs)));
    return seeds;
  } catch (error) {
    await stopSeeds(seeds);
    throw error;
  }
}

/** Shuts the seeds down. */
export async function stopSeeds(seeds: Seed[]): Promise<void> {
  await Promise.all(seeds.map((s) => s.peer.shutdown()));
}

/** Figures of one lanspread download. */
export interface LanspreadRun {
  seconds: number;
  mbps: number;
  /** CPU seconds during the run: the downloader, each seed. */
  downloaderCpu: number;
  /** The part of `downloaderCpu` spent in the kernel (network, page cache). */
  downloaderSystemCpu: number;
  seedCpu: number[];
  downloaderPeakMb: number;
  /** Cores busy machine-wide during the run (other agents' load included). */
  busyCores: number;
  /** From the download command to the first verified block in a staging file. */
  firstByteMs: number | null;
  /** From the download command to the `download-begin` event. */
  beginMs: number | null;
  /** Fraction of the bytes each seed sent (its interface counter). */
  shares: number[];
  /** Unusual events and stderr lines. */
  trouble: string[];
}

/** Options of {@linkcode lanspreadDownload}. */
export interface DownloadOptions {
  /** Staging paths (relative to the game folder) watched for the first verified byte. */
  watch?: string[];
}

/** A fresh downloader in `node` fetches `game` from `seeds`; figures of that run. */
export async function lanspreadDownload(
  t: Tree,
  label: string,
  node: TestNode,
  seeds: Seed[],
  game: string,
  options: DownloadOptions = {},
): Promise<LanspreadRun> {
  const dir = t.path(`${label}-dl`);
  const dl = await PeerProcess.start({
    name: `${label}-dl`,
    gamesDir: dir,
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
        const row = (await dl.games()).find((g) => g.id === game);
        return (row?.sources as string[] | undefined)?.length === seeds.length ? true : undefined;
      },
      30_000,
      "every seed offering the game",
    );
    const peers = [dl, ...seeds.map((s) => s.peer)];
    const errLen = peers.map((p) => p === dl ? 0 : p.stderr.length);
    const sample = async () => [
      (await machineCpu())[0]!,
      ...await Promise.all(peers.map((p) => cpuSeconds(p.pid))),
      ...await Promise.all(seeds.map((s) => txBytes(s.node))),
      await systemSeconds(dl.pid),
    ];
    const before = await sample();
    const since = dl.records.length;
    const staging = (options.watch ?? []).map((p) => join(dir, game, ".lanspread-download", p));
    const first = firstWrite(staging, 10_000);
    // Manifest fetched, staging ready, first requests about to go: splits the first-byte delay.
    const begin = dl.waitEvent("download-begin", (e) => e.game === game, 60_000, since)
      .then(() => performance.now(), () => null);
    const started = performance.now();
    await dl.command("download", { game });
    const end = await dl.waitRecord(
      (r) =>
        r.type === "event" && r.game === game && /^download-(finished|failed)$/.test(`${r.event}`),
      300_000, // the slowest cell takes well under a minute
      `end of the ${label} download`,
      since,
    );
    const seconds = (performance.now() - started) / 1000;
    if (end.event === "download-failed") throw new Error(`${label}: ${JSON.stringify(end)}`);
    const delta = (await sample()).map((x, i) => x - before[i]!);
    const firstAt = await first;
    const beginAt = await begin;
    const sent = delta.slice(1 + peers.length, -1);
    const total = sent.reduce((a, b) => a + b, 0);
    const odd = ["download-stalled", "download-source-dropped", "peer-lost", "service-error"];
    const trouble = dl.records.slice(since)
      .filter((r) => r.type === "event" && odd.includes(`${r.event}`))
      .map((r) => `${label} downloader event: ${JSON.stringify(r)}`);
    for (const [i, p] of peers.entries()) {
      const lines = p.stderr.slice(errLen[i]).split("\n").filter((l) => l.trim());
      if (lines.length) trouble.push(`${p.options.name} stderr (${lines.length}): ${lines[0]}`);
    }
    return {
      seconds,
      mbps: (end.bytes as number) / seconds / 1e6,
      downloaderCpu: delta[1]!,
      downloaderSystemCpu: delta.at(-1)!,
      seedCpu: delta.slice(2, 1 + peers.length),
      busyCores: delta[0]! / seconds,
      downloaderPeakMb: (await memoryOf(dl.pid))?.peak ?? NaN,
      firstByteMs: firstAt === null ? null : firstAt - started,
      beginMs: beginAt === null ? null : beginAt - started,
      shares: sent.map((b) => b / total),
      trouble,
    };
  } finally {
    await dl.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(t.path(`${label}-dl-state`), { recursive: true }).catch(() => {});
  }
}
