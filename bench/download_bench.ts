/**
 * Download benchmarks (issue 4), each beside a baseline measured in the same
 * run: one source of a 2 GiB file against the raw QUIC ceiling and plain
 * HTTP; three sources against one; 5,000 small files against the big file;
 * the downloader's peak memory and CPU time per GiB.
 *
 * @module
 */
import { join } from "node:path";
import { PeerProcess, ROOT } from "../tests/peer_process.ts";
import { tempTree, type Tree } from "../tests/fixtures.ts";
import { memoryOf, rawCeilingProcess, writeBigFile } from "./peer_bench.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** CPU seconds (user + system) a process has used. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds a process has spent in the kernel (system time). */
export async function systemSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]) / 100;
}

/** A seed game folder with one big file. */
async function bigGame(dir: string, id: string, size: number): Promise<void> {
  await Deno.mkdir(join(dir, id), { recursive: true });
  await Deno.writeTextFile(join(dir, id, "version.ini"), "1");
  await writeBigFile(join(dir, id, "big.bin"), size);
}

/** A seed game folder with many small files. */
async function smallFilesGame(dir: string, id: string, files: number, size: number) {
  await Deno.mkdir(join(dir, id), { recursive: true });
  await Deno.writeTextFile(join(dir, id, "version.ini"), "1");
  const bytes = new Uint8Array(size);
  for (let i = 0; i < files; i++) {
    const sub = join(dir, id, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) await Deno.mkdir(sub, { recursive: true });
    bytes[0] = i & 0xff;
    bytes[1] = i >> 8;
    await Deno.writeFile(join(sub, `f${i}.dat`), bytes);
  }
}

export interface DownloadRun {
  mbps: number;
  seconds: number;
  peakMb: number;
  cpuPerGiB: number;
}

/** Starts seeds serving `gameDirs`, downloads `game` into a fresh peer, returns figures. */
export async function timedDownload(
  t: Tree,
  label: string,
  seedDirs: string[],
  game: string,
  wrap?: (i: number) => string[] | undefined,
): Promise<DownloadRun> {
  const seeds: PeerProcess[] = [];
  let dl: PeerProcess | null = null;
  try {
    for (const [i, dir] of seedDirs.entries()) {
      seeds.push(
        await PeerProcess.start({
          name: `seed${i}`,
          gamesDir: dir,
          stateDir: t.path(`${label}-seed${i}-state`),
          wrapper: wrap?.(i + 1),
          host: wrap ? "0.0.0.0" : "127.0.0.1",
        }),
      );
    }
    for (const seed of seeds) await seed.waitEvent("library-hashed", () => true, 600_000);
    dl = await PeerProcess.start({
      name: `${label}-dl`,
      gamesDir: t.path(`${label}-dl`),
      stateDir: t.path(`${label}-dl-state`),
      connect: seeds.map((s) => s.addr),
      wrapper: wrap?.(0),
      host: wrap ? "0.0.0.0" : "127.0.0.1",
      extraArgs: ["--log-level=warn"],
    });
    await dl.command("wait-peers", { count: seeds.length, timeoutMs: 30_000 });
    await dl.until(
      async () => {
        const row = (await dl!.games()).find((g) => g.id === game);
        return (row?.sources as string[] | undefined)?.length === seeds.length ? true : undefined;
      },
      30_000,
      "all seeds offering the game",
    );
    const cpu0 = await cpuSeconds(dl.pid);
    const started = performance.now();
    await dl.command("download", { game });
    const done = await dl.waitRecord(
      (r) =>
        r.type === "event" && r.game === game && /^download-(finished|failed)$/.test(`${r.event}`),
      900_000,
      `end of the ${label} download`,
    );
    if (done.event === "download-failed") throw new Error(`${label}: ${JSON.stringify(done)}`);
    const seconds = (performance.now() - started) / 1000;
    const cpu = await cpuSeconds(dl.pid) - cpu0;
    const mem = await memoryOf(dl.pid);
    const bytes = done.bytes as number;
    return {
      mbps: bytes / seconds / 1e6,
      seconds,
      peakMb: mem?.peak ?? NaN,
      cpuPerGiB: cpu / (bytes / GiB),
    };
  } finally {
    await Promise.all([...seeds, ...(dl ? [dl] : [])].map((p) => p.shutdown()));
  }
}

/** Plain HTTP (Deno.serve in another process, fetch here) of the same file. */
async function httpBaseline(path: string): Promise<number> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "bench/http_serve.ts"), path],
    stdout: "piped",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  const port = Number(text.trim());
  try {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/`);
    let bytes = 0;
    for await (const chunk of response.body!) bytes += chunk.length;
    return bytes / ((performance.now() - started) / 1000) / 1e6;
  } finally {
    server.kill("SIGKILL");
    await server.status;
    reader.cancel().catch(() => {});
  }
}

export async function benchDownloads(options: { bytes?: number; smallFiles?: number } = {}) {
  const size = options.bytes ?? 2 * GiB;
  const files = options.smallFiles ?? 5_000;
  const t = await tempTree("lanspread-bench-dl-");
  try {
    const seeds = [t.path("s0"), t.path("s1"), t.path("s2")];
    // One file, hard-linked: seeds with different contents under one version are refused.
    await bigGame(seeds[0]!, "Big", size);
    for (const dir of seeds.slice(1)) {
      await Deno.mkdir(join(dir, "Big"), { recursive: true });
      await Deno.writeTextFile(join(dir, "Big", "version.ini"), "1");
      await Deno.link(join(seeds[0]!, "Big", "big.bin"), join(dir, "Big", "big.bin"));
    }
    await smallFilesGame(t.path("small"), "Small", files, 64 * 1024);
    const ceiling = await rawCeilingProcess(size);
    const ceilingToDisk = await rawCeilingProcess(size, t.path("raw-sink.bin"));
    await Deno.remove(t.path("raw-sink.bin"));
    const http = await httpBaseline(join(seeds[0]!, "Big", "big.bin"));
    const one = await timedDownload(t, "one", seeds.slice(0, 1), "Big");
    const three = await timedDownload(t, "three", seeds, "Big");
    const small = await timedDownload(t, "small", [t.path("small")], "Small");
    const gib = (size / GiB).toFixed(1);
    console.log(`downloads over loopback (${gib} GiB file; ${files} files of 64 KiB)`);
    console.log(`  raw Deno QUIC ceiling (same run)   ${ceiling.toFixed(0)} MB/s`);
    console.log(`  raw Deno QUIC, writing to disk     ${ceilingToDisk.toFixed(0)} MB/s`);
    console.log(`  plain HTTP, Deno.serve + fetch     ${http.toFixed(0)} MB/s`);
    console.log(
      `  one source                         ${one.mbps.toFixed(0)} MB/s = ${
        (100 * one.mbps / ceiling).toFixed(0)
      } % of ceiling (target >= 80 %), ${
        (100 * one.mbps / ceilingToDisk).toFixed(0)
      } % of raw QUIC to disk, ${(one.mbps / http).toFixed(2)}x HTTP`,
    );
    console.log(
      `  three sources                      ${three.mbps.toFixed(0)} MB/s = ${
        (three.mbps / one.mbps).toFixed(2)
      }x one source (loopback shares one CPU budget; see netns figures)`,
    );
    console.log(
      `  ${files} small files                  ${small.mbps.toFixed(0)} MB/s = ${
        (100 * small.mbps / one.mbps).toFixed(0)
      } % of the big file (target >= 50 %)`,
    );
    console.log(
      `  downloader peak RSS, one source    ${one.peakMb.toFixed(0)} MB (target <= 150 MB)`,
    );
    console.log(`  downloader CPU per GiB, one source ${one.cpuPerGiB.toFixed(2)} s`);
  } finally {
    await t.cleanup();
  }
}

if (import.meta.main) await benchDownloads();
