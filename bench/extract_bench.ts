/**
 * Extraction throughput of ~1 GB per format (zip deflate, tar.gz, stored
 * RAR 5) beside the native tool on the same archive (`unzip`, `tar`,
 * `bsdtar`), with the peak resident memory of this process and the main
 * event loop's longest stall while the worker extracts. No compressed RAR:
 * nothing here can make one (`rar` is not free software and not installed).
 *
 * Run: `deno run -A bench/extract_bench.ts [MiB]`, or from bench/main.ts.
 *
 * @module
 */
import { join } from "node:path";
import { gameBytes, writeRar5, writeTar, writeZip } from "../tests/fixtures/archives.ts";
import { extractArchives, findArchives } from "../src/archive/mod.ts";

const FILE = 8 << 20;

function* files(mib: number) {
  for (let i = 0; i < mib / 8; i++) {
    yield { name: `data/pak${i}.bin`, data: gameBytes(FILE, i + 1) };
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function native(cmd: string, args: string[]): Promise<number | null> {
  try {
    return await timed(async () => {
      const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function ours(game: string, dest: string) {
  let stall = 0;
  let peak = Deno.memoryUsage().rss;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 10);
    last = now;
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 10);
  try {
    const seconds = await timed(async () => extractArchives(await findArchives(game), dest));
    return { seconds, stall, peak };
  } finally {
    clearInterval(timer);
  }
}

/** Runs the extraction benchmark over `mib` MiB per format and prints each figure beside its baseline. */
export async function benchExtract(mib = 1024): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "lanspread-extract-bench-" });
  try {
    const formats: [
      string,
      string,
      (p: string) => Promise<void> | void,
      (a: string, d: string) => [string, string[]],
    ][] = [
      [
        "zip deflate",
        "a.zip",
        (p) => writeZip(p, files(mib)),
        (a, d) => ["unzip", ["-q", "-o", a, "-d", d]],
      ],
      [
        "tar.gz",
        "a.tar.gz",
        (p) => writeTar(p, files(mib), { gzip: true }),
        (a, d) => ["tar", ["-xzf", a, "-C", d]],
      ],
      [
        "RAR 5 stored",
        "a.rar",
        (p) => writeRar5(p, files(mib)),
        (a, d) => ["bsdtar", ["-xf", a, "-C", d]],
      ],
    ];
    console.log(`extraction, ${mib} MiB of game-like data (half incompressible) per format:`);
    for (const [label, name, make, tool] of formats) {
      const game = join(root, "game");
      await Deno.mkdir(game);
      await make(join(game, name));
      const nativeDest = join(root, "native");
      await Deno.mkdir(nativeDest);
      const [cmd, args] = tool(join(game, name), nativeDest);
      const base = await native(cmd, args);
      await Deno.remove(nativeDest, { recursive: true });
      const dest = join(root, "dest");
      await Deno.mkdir(dest);
      const r = await ours(game, dest);
      const mb = (mib * 1.048576) / r.seconds;
      const baseText = base === null
        ? `${cmd} missing`
        : `${cmd} ${((mib * 1.048576) / base).toFixed(0)} MB/s (${
          (100 * base / r.seconds).toFixed(0)
        } % of native)`;
      console.log(
        `  ${label.padEnd(12)} lanspread ${mb.toFixed(0)} MB/s beside ${baseText}; peak RSS ${
          (r.peak / 2 ** 20).toFixed(0)
        } MiB (target ≤ 200); longest main-loop stall ${r.stall.toFixed(1)} ms (target ≤ 50)`,
      );
      await Deno.remove(dest, { recursive: true });
      await Deno.remove(game, { recursive: true });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) await benchExtract(Number(Deno.args[0]) || undefined);
