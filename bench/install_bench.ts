/**
 * Installs of ~1 GB per format (zip deflate, tar.gz, stored RAR 5) by a real
 * peer process, beside the native tool extracting the same archive in the
 * same run (`unzip`, `tar`, `bsdtar`), with the installing peer's peak
 * resident memory during the install (VmHWM of the whole process, worker
 * included, reset just before the install where Linux allows) and the
 * longest stall of its event loop: the timer lag it logs in debug during the
 * extraction, and the longest round trip of a harness `status` asked every
 * 20 ms while it installs. Archives are written beforehand by another
 * process (make_archive.ts), so nothing here pollutes what is measured.
 *
 * Run: `deno run -A --unstable-net bench/install_bench.ts [MiB] [zip,tar.gz,rar]`, or
 * from bench/main.ts.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PeerProcess } from "../tests/peer_process.ts";

const MAKER = fileURLToPath(new URL("./make_archive.ts", import.meta.url));

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Flushes dirty pages, so that one run's writeback does not slow the next one down. */
async function settle(): Promise<void> {
  await new Deno.Command("sync").output().catch(() => {});
}

async function native(cmd: string, args: string[]): Promise<number | null> {
  await settle();
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

/** Resident memory of `pid` now, in bytes (Linux), else null. */
async function rss(pid: number): Promise<number | null> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const kb = status.match(/VmRSS:\s+(\d+) kB/)?.[1];
  return kb ? Number(kb) * 1024 : null;
}

/** Peak resident memory of `pid` in bytes (Linux), else null. */
async function peakRss(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = status.match(/VmHWM:\s+(\d+) kB/)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** One install by a fresh peer: seconds, peak RSS, logged stall, longest status round trip. */
async function install(root: string, games: string) {
  await settle();
  const peer = await PeerProcess.start({
    name: "bench",
    gamesDir: games,
    stateDir: join(root, "state"),
  }, 60_000);
  try {
    // The library hashes the new game folder first (another component's work): not measured.
    await peer.waitEvent("library-hashed", () => true, 600_000);
    let longestRtt = 0;
    let installing = true;
    const idle = await rss(peer.pid);
    // The peak from here on is the install's (the start and the hashing are not measured).
    await Deno.writeTextFile(`/proc/${peer.pid}/clear_refs`, "5").catch(() => {});
    const pinger = (async () => {
      while (installing) {
        const sent = performance.now();
        await peer.command("status", {}, 60_000);
        longestRtt = Math.max(longestRtt, performance.now() - sent);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const seconds = await timed(() => peer.command("install", { game: "Bench" }, 600_000));
    installing = false;
    await pinger;
    const peak = await peakRss(peer.pid);
    const stall = Number(peer.stderr.match(/longest stall ([\d.]+) ms/)?.[1] ?? NaN);
    const own = Number(peer.stderr.match(/installed Bench .* in (\d+) ms/)?.[1] ?? NaN) / 1000;
    console.error(
      `    (round: command ${seconds.toFixed(2)} s, install itself ${own.toFixed(2)} s)`,
    );
    return { seconds, peak, idle, stall, longestRtt };
  } finally {
    await peer.shutdown();
    await Deno.remove(join(root, "state"), { recursive: true }).catch(() => {});
  }
}

/** Runs the install benchmark over `mib` MiB per format and prints each figure beside its baseline. */
/** A tmpfs for the run when root on Linux (the disk of a shared machine varies too much), else null. */
async function tmpfs(root: string, mib: number): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const size = `size=${Math.ceil((mib * 3.5 + 512) / 1024)}g`;
  const out = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", size, "tmpfs", root] })
    .output().catch(() => null);
  return out?.success ?? false;
}

export async function benchInstall(mib = 1024, only: string[] = []): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "lanspread-install-bench-" });
  const mounted = await tmpfs(root, mib);
  const formats: [string, string, string, (a: string, d: string) => [string, string[]]][] = [
    ["zip deflate", "zip", "a.zip", (a, d) => ["unzip", ["-q", "-o", a, "-d", d]]],
    ["tar.gz", "tar.gz", "a.tar.gz", (a, d) => ["tar", ["-xzf", a, "-C", d]]],
    ["RAR 5 stored", "rar", "a.rar", (a, d) => ["bsdtar", ["-xf", a, "-C", d]]],
  ];
  try {
    console.log(
      `install, ${mib} MiB of game-like data (half incompressible) per format, ${
        mounted ? "in a tmpfs (the tools' own cost, not the disk's)" : "on disk"
      }:`,
    );
    for (const [label, format, name, tool] of formats) {
      if (only.length && !only.includes(format)) continue;
      const games = join(root, "games");
      const game = join(games, "Bench");
      await Deno.mkdir(game, { recursive: true });
      await Deno.writeTextFile(join(game, "version.ini"), "1");
      const made = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAKER, format, join(game, name), String(mib)],
        stdout: "null",
      }).output();
      if (!made.success) throw new Error(`cannot make the ${label} archive`);
      // Three times each, alternating, best of three: the machine is shared, its disk busy.
      let base: number | null = null;
      let r: Awaited<ReturnType<typeof install>> | null = null;
      for (let round = 0; round < 3; round++) {
        const nativeDest = join(root, "native");
        await Deno.mkdir(nativeDest);
        const [cmd, args] = tool(join(game, name), nativeDest);
        const seconds = await native(cmd, args);
        if (seconds !== null) base = Math.min(base ?? Infinity, seconds);
        await Deno.remove(nativeDest, { recursive: true });
        const run = await install(root, games);
        await Deno.remove(join(game, "local"), { recursive: true });
        await settle();
        if (!r || run.seconds < r.seconds) r = run;
      }
      const [cmd] = tool("", "");
      if (!r) throw new Error("no run");
      const mb = (mib * 1.048576) / r.seconds;
      const baseText = base === null
        ? `${cmd} missing`
        : `${cmd} ${((mib * 1.048576) / base).toFixed(0)} MB/s (lanspread at ${
          (100 * base / r.seconds).toFixed(0)
        } % of native, target ≥ 70)`;
      const peak = r.peak === null ? "?" : (r.peak / 2 ** 20).toFixed(0);
      const idle = r.idle === null ? "?" : (r.idle / 2 ** 20).toFixed(0);
      console.log(
        `  ${label.padEnd(12)} lanspread ${mb.toFixed(0)} MB/s beside ${baseText}; ` +
          `peer's peak RSS ${peak} MiB (target ≤ 200; ${idle} MiB before the install); ` +
          `its longest event-loop stall ` +
          `${r.stall.toFixed(1)} ms (target ≤ 50), longest status round trip ${
            r.longestRtt.toFixed(0)
          } ms`,
      );
      await Deno.remove(games, { recursive: true });
    }
  } finally {
    if (mounted) await new Deno.Command("umount", { args: [root] }).output().catch(() => {});
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  await benchInstall(Number(Deno.args[0]) || undefined, Deno.args[1]?.split(",") ?? []);
}
