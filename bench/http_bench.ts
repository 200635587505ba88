/**
 * Web page benchmarks, each beside a baseline measured in the same run:
 *
 * - server-side render of the library page with 2,000 games and 50 peers,
 *   beside `JSON.stringify` of the same rows (what a JSON-only API costs);
 * - CPU of a downloading peer with 10 open event streams, beside the same
 *   download with none;
 * - bytes of the page and its assets (aim: under 100 KB), plain and gzipped.
 *
 * @module
 */
import { join } from "node:path";
import { createApp } from "../src/http/app.tsx";
import { ASSET_PATHS, assetBytes } from "../src/http/assets.ts";
import { fakeApi, localGame, wireGame } from "../src/peer/_test_api.ts";
import { PeerProcess } from "../tests/peer_process.ts";
import { tempTree } from "../tests/fixtures.ts";
import { cpuSeconds } from "./download_bench.ts";
import { writeBigFile } from "./peer_bench.ts";

const MiB = 1024 * 1024;

/** A party of `peers` peers sharing `games` games, each peer offering a fifth of them. */
export function bigParty(games = 2_000, peers = 50) {
  const genres = ["Shooter", "Racing", "Strategy", "RPG", "Sports"];
  const libraries = Array.from({ length: peers }, (_, p) => ({
    peerId: p.toString(32).padStart(16, "a"),
    name: `Peer ${p}`,
    games: Array.from({ length: games }, (_, g) => g)
      .filter((g) => (g + p) % 5 === 0)
      .map((g) =>
        wireGame(`Game-${String(g).padStart(4, "0")}`, String(1 + (p % 3)), {
          name: `Game number ${g}`,
          genre: genres[g % genres.length],
          size: (g + 1) * 7_000_000,
          ...(p % 4 === 0 ? { installedVersion: "1" } : {}),
        })
      ),
  }));
  const local = Array.from(
    { length: 40 },
    (_, i) => localGame(`Game-${String(i * 7).padStart(4, "0")}`, "1"),
  );
  return fakeApi({ libraries, local });
}

function mean(ms: number[]): number {
  return ms.reduce((a, b) => a + b, 0) / ms.length;
}

async function timeIt(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return mean(times);
}

async function gzipped(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function benchRender(): Promise<void> {
  const { api } = bigParty();
  const app = createApp({ api, token: null });
  const get = async (path: string, headers: Record<string, string> = {}) =>
    await (await app.request(`http://127.0.0.1${path}`, { headers })).text();
  const page = () => get("/", { Accept: "text/html" });
  const fragment = () => get("/?q=number%201", { "Lanspread-Fragment": "1" });
  const rows = () => api.listGames();
  const json = () => JSON.stringify({ games: api.listGames(), peers: api.listPeers() });
  const apiGames = () => get("/api/v1/games");
  const runs = 30;
  const tRows = await timeIt(runs, rows);
  const tJson = await timeIt(runs, json);
  const tApi = await timeIt(runs, apiGames);
  const tPage = await timeIt(runs, page);
  const tFragment = await timeIt(runs, fragment);
  const tParty = await timeIt(runs, () => get("/party"));
  console.log("web page render (2,000 games, 50 peers; mean of 30)");
  console.log(`  merging rows (api.listGames)        ${tRows.toFixed(1)} ms`);
  console.log(`  baseline: JSON.stringify rows+peers ${tJson.toFixed(1)} ms`);
  console.log(`  GET /api/v1/games                   ${tApi.toFixed(1)} ms`);
  console.log(
    `  library page, whole (60 cards)      ${tPage.toFixed(1)} ms = ${
      (tPage / tJson).toFixed(2)
    }x baseline`,
  );
  console.log(`  library fragment, search            ${tFragment.toFixed(1)} ms`);
  console.log(`  party board                         ${tParty.toFixed(1)} ms`);
  const html = await page();
  const assets = assetBytes();
  const total = new TextEncoder().encode(html).length + assets.js + assets.css + assets.icon;
  const { CLIENT_JS, STYLES_CSS } = await loadAssets(app);
  const gz = (await gzipped(html)) + (await gzipped(CLIENT_JS)) + (await gzipped(STYLES_CSS));
  console.log("web page bytes (library, 2,000 games)");
  console.log(
    `  HTML ${(html.length / 1000).toFixed(1)} KB, client module ${
      (assets.js / 1000).toFixed(1)
    } KB, ` +
      `styles ${(assets.css / 1000).toFixed(1)} KB, icon ${(assets.icon / 1000).toFixed(1)} KB`,
  );
  console.log(
    `  total ${(total / 1000).toFixed(1)} KB (aim < 100 KB); gzipped ${
      (gz / 1000).toFixed(1)
    } KB ` +
      `(the peer serves it uncompressed)`,
  );
}

async function loadAssets(app: ReturnType<typeof createApp>) {
  const text = async (path: string) => await (await app.request(`http://127.0.0.1${path}`)).text();
  return { CLIENT_JS: await text(ASSET_PATHS.js), STYLES_CSS: await text(ASSET_PATHS.css) };
}

/** DownloadManager a capped game once with `streams` event streams open; CPU seconds of the downloader. */
async function downloadCpu(
  dir: string,
  state: string,
  streams: number,
): Promise<{ cpu: number; events: number }> {
  const t = await tempTree("lanspread-bench-web-");
  const seed = await PeerProcess.start({ name: "seed", gamesDir: dir, stateDir: state });
  let dl: PeerProcess | null = null;
  const readers: Promise<void>[] = [];
  const stop = new AbortController();
  let events = 0;
  try {
    await seed.waitEvent("library-hashed", () => true, 120_000);
    dl = await PeerProcess.start({
      name: "dl",
      gamesDir: t.path("dl"),
      stateDir: t.path("dl-state"),
      connect: [seed.addr],
      web: true,
      extraArgs: ["--log-level=warn", "--download-limit=64"],
    });
    await dl.command("wait-peers", { count: 1, timeoutMs: 30_000 });
    for (let i = 0; i < streams; i++) {
      const res = await fetch(`${dl.webUrl}api/v1/events`, {
        headers: { Accept: "text/event-stream" },
        signal: stop.signal,
      });
      readers.push((async () => {
        try {
          for await (const chunk of res.body!) events += chunk.length > 0 ? 1 : 0;
        } catch {
          // Stopped.
        }
      })());
    }
    const cpu0 = await cpuSeconds(dl.pid);
    await dl.command("download", { game: "Big" });
    await dl.waitEvent("download-finished", (e) => e.game === "Big", 300_000);
    return { cpu: (await cpuSeconds(dl.pid)) - cpu0, events };
  } finally {
    stop.abort();
    await Promise.allSettled(readers);
    await Promise.all([seed, ...(dl ? [dl] : [])].map((p) => p.shutdown()));
    await t.cleanup();
  }
}

async function benchStreams(): Promise<void> {
  const t = await tempTree("lanspread-bench-sse-");
  try {
    await Deno.mkdir(join(t.path("seed"), "Big"), { recursive: true });
    await Deno.writeTextFile(join(t.path("seed"), "Big", "version.ini"), "1");
    await writeBigFile(join(t.path("seed"), "Big", "big.bin"), 384 * MiB);
    const none = await downloadCpu(t.path("seed"), t.path("seed-state"), 0);
    const ten = await downloadCpu(t.path("seed"), t.path("seed-state"), 10);
    console.log("downloader CPU during a 384 MiB download capped at 64 MB/s (about 6 s)");
    console.log(`  baseline: no event stream          ${none.cpu.toFixed(2)} s`);
    console.log(
      `  10 open event streams              ${ten.cpu.toFixed(2)} s = ${
        (ten.cpu / none.cpu).toFixed(2)
      }x (${ten.events} chunks streamed)`,
    );
  } finally {
    await t.cleanup();
  }
}

export async function benchHttp(): Promise<void> {
  await benchRender();
  await benchStreams();
}

if (import.meta.main) await benchHttp();
