/**
 * The cells of the namespace bench (see netns_download_bench.ts). Node 0 of
 * the testbed downloads; nodes 1..5 may seed, each with its own egress cap.
 * A cell repeats its runs `repeat` times, alternating which of lanspread and
 * Syncthing goes first, and reports medians with their range.
 *
 * @module
 */
import type { TestNode } from "../tests/netns.ts";
import type { Tree } from "../tests/fixtures.ts";
import { type Fixture, fixture, GAME } from "./netns_fixtures.ts";
import { capLink, iperf, rawQuic } from "./netns_links.ts";
import { lanspreadDownload, type LanspreadRun, startSeeds, stopSeeds } from "./lanspread_run.ts";
import { SyncthingPair } from "./syncthing.ts";
import { type CellTable, one, pct, Samples, times } from "./netns_figures.ts";

const GB = 1e9;
const Gbit = 1e9;
const Mbit = 1e6;

/** What every cell gets. */
export interface CellContext {
  t: Tree;
  target: TestNode;
  sources: TestNode[];
  repeat: number;
  /** Sizes are divided by this (a quick smoke run). */
  shrink: number;
  /** Fixtures made so far in this bench run, by shape. */
  fixtures: Map<string, Promise<Fixture>>;
}

/**
 * Pause before each timed run. The test VM hands freed memory back to its
 * host (free page reporting), and touching such a page again costs a host
 * fault: writing 1 GB into page cache takes ~1 s of system time on fresh pages
 * against ~0.25 s on recycled ones. Without a pause, a run right after
 * another's output was deleted writes cheaply and the next one dearly; after
 * it, every run starts from the same (returned) state.
 */
export const SETTLE_MS = 5_000;
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

/** Cores busy with anything but the measured processes; clamped, as per-process and
 * machine-wide tick accounting overlap a little. */
const others = (busyCores: number, ourCpu: number, seconds: number) =>
  Math.max(0, busyCores - ourCpu / seconds);

/** One source over one capped link: lanspread beside Syncthing and iperf3. */
export async function oneSource(
  ctx: CellContext,
  o: { name: string; title: string; files: number; size: number; watch: boolean },
): Promise<CellTable> {
  const fx = await fixture(ctx, o.files, Math.round(o.size / (o.files > 1 ? 1 : ctx.shrink)));
  const seedNode = ctx.sources[0]!;
  await capLink(seedNode, Gbit);
  const s = new Samples();
  const notes: string[] = [];
  const seeds = await startSeeds(ctx.t, o.name, [seedNode], GAME, fx.gameDir);
  try {
    const pair = await SyncthingPair.create({
      seed: seedNode,
      receiver: ctx.target,
      workDir: ctx.t.path(`${o.name}-st`),
      folder: fx.syncDir,
      bytes: fx.bytes,
      files: fx.files,
    });
    try {
      for (let rep = 0; rep < ctx.repeat; rep++) {
        const [ip] = await iperf(ctx.target, [seedNode]);
        s.add("ip", ip);
        if (o.files === 1) {
          // Deno's QUIC alone through the link, with lanspread's congestion control (its
          // receiver writing to a file, as a download must: the CPU floor) and BBR.
          const raw = Math.min(fx.bytes, 300e6);
          const kinds = [["cubic", "throughput", true], ["bbr", "low-latency", false]] as const;
          for (const [key, cc, sink] of kinds) {
            const r = await rawQuic(seedNode, ctx.target, raw, cc, ctx.t.path(o.name), sink);
            s.add(key, r.mbps);
            if (!sink) continue;
            s.add("raw cpu recv", r.receiverCpu / (raw / GB));
            s.add("raw cpu send", r.senderCpu / (raw / GB));
          }
        }
        const perGB = (cpu: number) => cpu / (fx.bytes / GB);
        const lanspread = async () => {
          await settle();
          const r = await lanspreadDownload(ctx.t, o.name, ctx.target, seeds, GAME, {
            watch: o.watch ? ["files/big.bin"] : [],
          });
          s.add("ls", r.mbps);
          s.add("ls/ip", r.mbps / ip!);
          if (o.files === 1) s.add("ls/cubic", r.mbps / s.get("cubic").at(-1)!);
          s.add("ls cpu recv", perGB(r.downloaderCpu));
          s.add("ls cpu recv sys", perGB(r.downloaderSystemCpu));
          s.add("ls cpu send", perGB(r.seedCpu[0]!));
          s.add("ls peak", r.downloaderPeakMb);
          s.add("ls first", r.firstByteMs);
          s.add("ls begin", r.beginMs);
          s.add("ls others", others(r.busyCores, r.downloaderCpu + r.seedCpu[0]!, r.seconds));
          notes.push(...r.trouble);
        };
        const syncthing = async () => {
          await settle();
          const r = await pair.run(o.watch ? [".syncthing.big.bin.tmp"] : []);
          s.add("st", r.mbps);
          s.add("st cpu recv", perGB(r.receiverCpu));
          s.add("st cpu recv sys", perGB(r.receiverSystemCpu));
          s.add("st cpu send", perGB(r.senderCpu));
          s.add("st peak", r.receiverPeakMb);
          s.add("st first", r.firstByteMs);
          s.add("st others", others(r.busyCores, r.receiverCpu + r.senderCpu, r.seconds));
        };
        for (const run of rep % 2 ? [syncthing, lanspread] : [lanspread, syncthing]) await run();
        s.add("ls/st", s.get("ls").at(-1)! / s.get("st").at(-1)!);
      }
    } finally {
      await pair.close();
    }
  } finally {
    await stopSeeds(seeds);
    await capLink(seedNode, null);
  }
  const mb = (x: number) => x.toFixed(0);
  const rows = [
    ["", "lanspread", "Syncthing", "iperf3"],
    ["MB/s", s.fmt("ls", mb), s.fmt("st", mb), s.fmt("ip", mb)],
    ["lanspread / iperf3", s.fmt("ls/ip", pct), "", o.files > 1 ? "" : "(target >= 97 %)"],
    ["lanspread / Syncthing", s.fmt("ls/st", times)],
    ...(o.files === 1
      ? [
        ["raw Deno QUIC MB/s", `Cubic ${s.fmt("cubic", mb)}`, `BBR ${s.fmt("bbr", mb)}`],
        ["lanspread / raw QUIC (Cubic)", s.fmt("ls/cubic", pct)],
        [
          "raw QUIC CPU s/GB (Cubic)",
          `recv ${s.fmt("raw cpu recv", one)}`,
          `send ${s.fmt("raw cpu send", one)}`,
        ],
      ]
      : []),
    ["CPU s/GB receiver", s.fmt("ls cpu recv", one), s.fmt("st cpu recv", one)],
    ["  of which in the kernel", s.fmt("ls cpu recv sys", one), s.fmt("st cpu recv sys", one)],
    ["CPU s/GB sender", s.fmt("ls cpu send", one), s.fmt("st cpu send", one)],
    ["peak RSS receiver, MB", s.fmt("ls peak"), s.fmt("st peak")],
    ["other load, cores", s.fmt("ls others", one), s.fmt("st others", one)],
  ];
  if (o.watch) {
    rows.push(["first byte on disk, ms", s.fmt("ls first"), s.fmt("st first"), "(<= 100 ms)"]);
    rows.push(["  download-begin event, ms", s.fmt("ls begin")]);
  }
  if (o.files > 1) notes.push(`target: lanspread >= 80 MB/s`);
  if (o.size >= 1e9) notes.push(`target: lanspread peak RSS <= 150 MB`);
  return { name: o.name, title: o.title, rows, notes };
}

/** Swarm: `rates` caps the sources' links; one source on the first link, then all at once. */
export async function swarm(
  ctx: CellContext,
  o: { name: string; title: string; rates: number[]; target: string; versusOne: boolean },
): Promise<CellTable> {
  const fx = await fixture(ctx, 1, Math.round(300e6 / ctx.shrink));
  const nodes = ctx.sources.slice(0, o.rates.length);
  for (const [i, node] of nodes.entries()) await capLink(node, o.rates[i]!);
  const s = new Samples();
  const notes: string[] = [];
  const seeds = await startSeeds(ctx.t, o.name, nodes, GAME, fx.gameDir);
  const record = (key: string, r: LanspreadRun) => {
    s.add(key, r.mbps);
    s.add(`${key} cpu recv`, r.downloaderCpu / (fx.bytes / GB));
    s.add(`${key} cpu send`, r.seedCpu.reduce((a, b) => a + b, 0) / (fx.bytes / GB));
    r.shares.forEach((share, i) => s.add(`${key} share ${i}`, share));
    s.add(`${key} busy`, r.busyCores);
    const ours = r.downloaderCpu + r.seedCpu.reduce((a, b) => a + b, 0);
    s.add(`${key} others`, others(r.busyCores, ours, r.seconds));
    notes.push(...r.trouble);
  };
  try {
    for (let rep = 0; rep < ctx.repeat; rep++) {
      const sum = (await iperf(ctx.target, nodes)).reduce((a, b) => a + b, 0);
      s.add("ip all", sum);
      if (o.versusOne) {
        s.add("ip one", (await iperf(ctx.target, nodes.slice(0, 1)))[0]);
        record(
          "one",
          await lanspreadDownload(ctx.t, `${o.name}-1`, ctx.target, seeds.slice(0, 1), GAME),
        );
      }
      await settle();
      const all = await lanspreadDownload(ctx.t, o.name, ctx.target, seeds, GAME);
      record("all", all);
      s.add("all/ip", all.mbps / sum);
      if (o.versusOne) s.add("all/one", all.mbps / s.get("one").at(-1)!);
    }
  } finally {
    await stopSeeds(seeds);
    for (const node of nodes) await capLink(node, null);
  }
  const mb = (x: number) => x.toFixed(0);
  const n = nodes.length;
  const cores = navigator.hardwareConcurrency;
  // One column per download kind: one source (when measured), all sources.
  const both = (key: string, unit = one) => [
    ...(o.versusOne ? [s.fmt(key ? `one ${key}` : "one", unit)] : []),
    s.fmt(key ? `all ${key}` : "all", unit),
  ];
  const shares = nodes.map((_, i) => pct(s.median(`all share ${i}`))).join(" / ");
  const pad = o.versusOne ? [""] : [];
  const rows = [
    ["", ...(o.versusOne ? ["one source"] : []), `${n} sources`],
    ["lanspread MB/s", ...both("", mb)],
    [
      "iperf3 MB/s (links at once)",
      ...(o.versusOne ? [s.fmt("ip one", mb)] : []),
      s.fmt("ip all", mb),
    ],
    ["CPU s/GB downloader", ...both("cpu recv")],
    ["CPU s/GB seeds together", ...both("cpu send")],
    [`machine busy, cores of ${cores}`, ...both("busy")],
    ["  of which other load", ...both("others")],
    ["bytes sent per source", ...pad, shares],
  ];
  if (o.versusOne) {
    rows.push([`${n} sources / one`, "", s.fmt("all/one", times), `(target ${o.target})`]);
  }
  rows.push([
    `${n} sources / iperf3 sum`,
    ...pad,
    s.fmt("all/ip", pct),
    o.versusOne ? "" : `(target ${o.target})`,
  ]);
  if (s.median("all busy") >= 0.9 * cores) {
    notes.push("the machine's cores were nearly full: the CPU, not the links, set the pace");
  }
  return { name: o.name, title: o.title, rows, notes };
}

/** Every cell by name, in the order of a full run. */
export const CELLS: Record<string, (ctx: CellContext) => Promise<CellTable>> = {
  "one-300MB": (ctx) =>
    oneSource(ctx, {
      name: "one-300MB",
      title: `one source, 1 Gbit/s link, one ${300 / ctx.shrink} MB file`,
      files: 1,
      size: 300e6,
      watch: true,
    }),
  "one-2GiB": (ctx) =>
    oneSource(ctx, {
      name: "one-2GiB",
      title: `one source, 1 Gbit/s link, one ${(2 / ctx.shrink).toFixed(1)} GiB file`,
      files: 1,
      size: 2 * 1024 ** 3,
      watch: true,
    }),
  "small-2000": (ctx) =>
    oneSource(ctx, {
      name: "small-2000",
      title: `one source, 1 Gbit/s link, ${Math.round(2000 / ctx.shrink)} files of 64 KiB`,
      files: Math.round(2000 / ctx.shrink),
      size: 64 * 1024,
      watch: false,
    }),
  "swarm-3x200": (ctx) =>
    swarm(ctx, {
      name: "swarm-3x200",
      title: "three sources on 200 Mbit/s links against one",
      rates: [200 * Mbit, 200 * Mbit, 200 * Mbit],
      target: ">= 2.9x",
      versusOne: true,
    }),
  "swarm-5x100": (ctx) =>
    swarm(ctx, {
      name: "swarm-5x100",
      title: "five sources on 100 Mbit/s links against one",
      rates: [100 * Mbit, 100 * Mbit, 100 * Mbit, 100 * Mbit, 100 * Mbit],
      target: ">= 4.7x",
      versusOne: true,
    }),
  "swarm-mixed": (ctx) =>
    swarm(ctx, {
      name: "swarm-mixed",
      title: "one 400 Mbit/s source and two 50 Mbit/s sources",
      rates: [400 * Mbit, 50 * Mbit, 50 * Mbit],
      target: ">= 95 %",
      versusOne: false,
    }),
};
