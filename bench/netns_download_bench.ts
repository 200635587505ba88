/**
 * lanspread against Syncthing and iperf3 on the same emulated LAN (needs
 * root, iproute2, iperf3 and Debian's `syncthing`). Every figure is printed
 * beside its baselines measured in the same run through the same links:
 *
 * | cell          | what                                                                        |
 * | ------------- | --------------------------------------------------------------------------- |
 * | `one-300MB`   | one source, 1 Gbit/s link, a 300 MB file: lanspread, Syncthing, iperf3      |
 * | `one-2GiB`    | the same with a 2 GiB file; the downloader's peak memory                    |
 * | `small-2000`  | one source, 1 Gbit/s link, 2,000 files of 64 KiB                            |
 * | `swarm-3x200` | three sources on 200 Mbit/s links against one source on such a link         |
 * | `swarm-5x100` | five sources on 100 Mbit/s links against one source on such a link          |
 * | `swarm-mixed` | one 400 Mbit/s and two 50 Mbit/s sources against iperf3 over the three links |
 *
 * The single-source cells also give CPU seconds per GB (1e9 bytes) of the
 * receiver (and its kernel part) and the sender of both programs, their peak
 * resident memory, the load of other processes on the machine, and for big
 * files the time from the command to the first data in a file on disk
 * (lanspread writes only verified blocks: see first_write.ts) beside the time
 * to lanspread's `download-begin`. The swarm cells are lanspread and iperf3
 * only, with the machine's busy cores: on 2 cores, six processes can make
 * the CPU, not the links, the limit, and the cell says so.
 *
 * Timing rules: lanspread from the `download` command to `download-finished`
 * (commit included), with the seeds already hashed; Syncthing from
 * unpausing the receiver's folder to it being idle with nothing left to pull,
 * with the seed's folder already scanned (syncthing.ts); iperf3 TCP for 8 s.
 * Each repetition uses a fresh downloader / receiver; seeds stay up.
 *
 * Layout: node 0 downloads (its link is not capped), nodes 1..5 seed (each
 * sender capped with tbf: netns_links.ts). Everything stays inside network
 * namespaces of tests/netns.ts; mDNS, Syncthing's discovery, relays, NAT
 * traversal, reporting and upgrades are off. On 2 shared cores the figures
 * are noisy: read the ratios of one run, and the [min-max] range.
 *
 * Before each timed run the bench waits SETTLE_MS (see netns_cells.ts: the
 * VM's free page reporting makes writes to just-freed memory cost 4x more
 * later), and it prints what writing to fresh page cache costs here, a part
 * of every receiver's CPU per GB.
 *
 * Run: `deno task bench` runs every cell (about 17 minutes with 3 runs per
 * cell), or alone:
 *
 * ```sh
 * deno run --unstable-net -A bench/netns_download_bench.ts [--only=one-300MB,small-2000]
 *     [--repeat=3] [--quick]
 * ```
 *
 * - `--only=CELL[,CELL]`: the cells to run (names above); default all.
 * - `--repeat=N`: runs per cell (1-10); default 3.
 * - `--quick`: sizes and file counts divided by 10, to try the bench out.
 *
 * @module
 */
import { tempTree } from "../tests/fixtures.ts";
import { type TestNode, withTestbed } from "../tests/netns.ts";
import { netnsBenchUnavailable } from "./netns_links.ts";
import { CELLS, SETTLE_MS } from "./netns_cells.ts";
import { printCell } from "./netns_figures.ts";

/** Options of {@linkcode benchNetnsDownloads}. */
export interface NetnsBenchOptions {
  /** Cells to run, by name. @default {all of them} */
  only?: string[];
  /** Runs per cell. @default {3} */
  repeat?: number;
  /** Divide sizes and file counts by this. @default {1} */
  shrink?: number;
}

export async function benchNetnsDownloads(options: NetnsBenchOptions = {}): Promise<void> {
  const names = options.only ?? Object.keys(CELLS);
  const unknown = names.filter((n) => !(n in CELLS));
  if (unknown.length) throw new Error(`unknown cell ${unknown}; cells: ${Object.keys(CELLS)}`);
  const reason = await netnsBenchUnavailable(["tc", "ss", "iperf3", "syncthing", "cp"]);
  if (reason) {
    console.log(`downloads over network namespaces: skipped (${reason})`);
    return;
  }
  const repeat = Math.min(10, Math.max(1, options.repeat ?? 3));
  const t = await tempTree("lanspread-bench-netns-");
  try {
    await withTestbed({ nodes: 6, multicastRoute: false }, async (bed) => {
      // Ctrl-C skips every `finally`: Syncthing (spawned in the testbed, killed by destroy)
      // would outlive the bench. lanspread peers leave by themselves when their stdin closes.
      const interrupted = async () => {
        await bed.destroy();
        await t.cleanup();
        Deno.exit(130);
      };
      using _ = onInterrupt(interrupted);
      const [target, ...sources] = bed.nodes as [TestNode, ...TestNode[]];
      console.log(
        `lanspread beside Syncthing ${await syncthingVersion()} and iperf3 over network ` +
          `namespaces; median [min-max] of ${repeat} run(s), MB = 1e6 bytes`,
      );
      const write = await freshWriteCost(t.path("page-cache-probe"));
      console.log(`  (writing to fresh page cache costs ${write.toFixed(2)} s/GB of CPU here)`);
      const ctx = { t, target, sources, repeat, shrink: options.shrink ?? 1, fixtures: new Map() };
      for (const name of names) {
        const started = performance.now();
        try {
          printCell(await CELLS[name]!(ctx));
        } catch (error) {
          // One broken cell must not hide the others' figures.
          console.log(`${name.padEnd(13)}failed: ${error instanceof Error ? error.stack : error}`);
        }
        console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    });
  } finally {
    await t.cleanup();
  }
}

/**
 * Seconds per GB to write into fresh page cache here (pages the VM gave back
 * to its host: see SETTLE_MS), a cost every receiver pays inside its CPU
 * figures. Wall time of plain writes, which is system time.
 */
async function freshWriteCost(path: string): Promise<number> {
  const chunk = new Uint8Array(8 * 1024 * 1024).fill(1);
  const total = 512 * 1024 * 1024;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const started = performance.now();
  try {
    for (let n = 0; n < total; n += chunk.length) await file.write(chunk);
  } finally {
    file.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await Deno.remove(path);
  return seconds / (total / 1e9);
}

async function syncthingVersion(): Promise<string> {
  const out = await new Deno.Command("syncthing", { args: ["--version"] }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[1] ?? "?";
}

/** Calls `fn` on SIGINT or SIGTERM until disposed. */
function onInterrupt(fn: () => void): Disposable {
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, fn);
  return {
    [Symbol.dispose]: () => signals.forEach((signal) => Deno.removeSignalListener(signal, fn)),
  };
}

/** `--name=value` flags of `args`. */
function flags(args: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const arg of args) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (see the module doc)`);
    map.set(m[1]!, m[2] ?? "");
  }
  return map;
}

if (import.meta.main) {
  const f = flags(Deno.args);
  await benchNetnsDownloads({
    only: f.get("only")?.split(",").filter((x) => x),
    repeat: f.has("repeat") ? Number(f.get("repeat")) : undefined,
    shrink: f.has("quick") ? 10 : 1,
  });
}
