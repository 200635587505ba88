/**
 * Peer-core benchmarks (issue 2): get-block throughput of a 1 GiB file
 * between two peers on loopback beside the raw Deno QUIC ceiling measured in
 * the same run, hello handshake time, and the peers' resident memory.
 *
 * @module
 */
import { join } from "node:path";
import { PeerProcess, ROOT } from "../tests/peer_process.ts";
import { tempTree } from "../tests/fixtures.ts";
import { helloSession, member } from "../tests/member.ts";
import { DEFAULT_PARTY_KEY, Party, PARTY_SERVER_NAME } from "../src/trust/party.ts";
import { LIMITS, PROTOCOL_VERSION } from "../src/wire/protocol.ts";
import { Session } from "../src/wire/session.ts";
import { clientHello } from "../src/peer/sync/handshake.ts";
import { connectRaw, pullRaw } from "./quic_raw.ts";

const GiB = 1024 * 1024 * 1024;

/** Resident and peak resident memory of a process, in MB (Linux). */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** Writes a file of `size` bytes of incompressible data. */
export async function writeBigFile(path: string, size: number): Promise<void> {
  const chunk = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 65536) {
    crypto.getRandomValues(chunk.subarray(i, i + 65536));
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let written = 0; written < size; written += chunk.length) {
      chunk[0] = written & 0xff; // blocks differ
      await file.write(chunk.subarray(0, Math.min(chunk.length, size - written)));
    }
  } finally {
    file.close();
  }
}

/**
 * The raw QUIC ceiling: a sender process, received here; best of one and
 * eight streams. With `sinkPath`, the received bytes are also written to
 * that file (one stream): the ceiling for anything that stores what it gets.
 */
export async function rawCeilingProcess(bytes: number, sinkPath?: string): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-net",
      "-A",
      join(ROOT, "bench/quic_raw.ts"),
      await Deno.makeTempDir(),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  const { port, ca } = JSON.parse(text);
  const conn = await connectRaw(port, ca);
  try {
    await pullRaw(conn, 64 * 1024 * 1024, 1); // warm-up
    if (sinkPath) {
      using sink = await Deno.open(sinkPath, { write: true, create: true, truncate: true });
      return await pullRaw(conn, bytes, 1, sink);
    }
    const one = await pullRaw(conn, bytes, 1);
    const many = await pullRaw(conn, bytes, 8);
    return Math.max(one, many);
  } finally {
    conn.close();
    child.kill("SIGKILL");
    await child.status;
    reader.cancel().catch(() => {});
  }
}

/** Fetches every block of a file, `count` per request, `window` requests in flight; MB/s. */
async function pullBlocks(
  session: Session,
  file: { game: string; path: string; size: number },
  window: number,
  count: number,
) {
  const { game, path, size } = file;
  const blocks = Math.ceil(size / LIMITS.blockSize);
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < blocks) {
      const index = next;
      next += count;
      const reply = await session.request({
        type: "get-block",
        game,
        runs: [{ path, index, count }],
      });
      if (reply.message.type !== "block") throw new Error(JSON.stringify(reply.message));
      bytes += reply.payload?.length ?? 0;
    }
  }));
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`);
  return size / ((performance.now() - started) / 1000) / 1e6;
}

async function handshakeMs(port: number, rounds: number): Promise<number> {
  const party = await Party.derive(DEFAULT_PARTY_KEY);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const dir = await Deno.makeTempDir();
    const { identity: id, transport } = await member(dir, DEFAULT_PARTY_KEY, party);
    const started = performance.now();
    const session = new Session(
      await transport.connect({ hostname: "127.0.0.1", port, serverName: PARTY_SERVER_NAME }),
    );
    const local = {
      peerId: id.peerId,
      name: `hs${i}`,
      addr: `127.0.0.1:${transport.addr.port}`,
      protocolVersion: PROTOCOL_VERSION,
      party,
      snapshot: () => ({ rev: 0, games: [] }),
    };
    const result = await clientHello(session, local);
    times.push(performance.now() - started);
    if (result.kind !== "ok") throw new Error(JSON.stringify(result));
    transport.close();
    await Deno.remove(dir, { recursive: true });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function benchPeerCore(options: { bytes?: number } = {}): Promise<void> {
  const size = options.bytes ?? GiB;
  const t = await tempTree("lanspread-bench-");
  const gamesDir = t.path("seed");
  await Deno.mkdir(join(gamesDir, "Big"), { recursive: true });
  await Deno.writeTextFile(join(gamesDir, "Big", "version.ini"), "1");
  await writeBigFile(join(gamesDir, "Big", "big.bin"), size);
  const seed = await PeerProcess.start({ name: "seed", gamesDir, stateDir: t.path("seed-state") });
  const seedPort = Number(seed.addr.split(":")[1]);
  const client = await helloSession(t.path("client-state"), DEFAULT_PARTY_KEY, {
    hostname: "127.0.0.1",
    port: seedPort,
  });
  try {
    await seed.waitEvent("library-hashed", (e) => e.game === "Big", 120_000);
    const session = client.session;
    // Measured before and after, best kept: noise must not flatter the ratio.
    const ceilingBefore = await rawCeilingProcess(size);
    const file = { game: "Big", path: "big.bin", size };
    const rates: [string, number][] = [];
    for (const [window, count] of [[8, 1], [4, 4], [2, 8], [4, 16]] as const) {
      rates.push([`${window} x ${count} MiB`, await pullBlocks(session, file, window, count)]);
    }
    const best = Math.max(...rates.map((r) => r[1]));
    const ceiling = Math.max(ceilingBefore, await rawCeilingProcess(size));
    const hs = await handshakeMs(seedPort, 15);
    const seedMem = await memoryOf(seed.pid);
    const clientMem = await memoryOf(Deno.pid);
    console.log(`peer core: get-block of a ${(size / GiB).toFixed(2)} GiB file over loopback`);
    console.log(`  raw Deno QUIC ceiling (same run)   ${ceiling.toFixed(0)} MB/s`);
    for (const [shape, rate] of rates) {
      console.log(`  get-block, ${shape.padEnd(12)} in flight ${rate.toFixed(0)} MB/s`);
    }
    console.log(
      `  best / ceiling                     ${
        (100 * best / ceiling).toFixed(0)
      } % (target >= 80 %)`,
    );
    console.log(`  hello handshake (median of 15)     ${hs.toFixed(1)} ms (TLS + hello)`);
    console.log(
      `  seed RSS now / peak                ${seedMem?.rss.toFixed(0)} / ${
        seedMem?.peak.toFixed(0)
      } MB`,
    );
    console.log(
      `  client RSS now / peak              ${clientMem?.rss.toFixed(0)} / ${
        clientMem?.peak.toFixed(0)
      } MB`,
    );
  } finally {
    client.close();
    await seed.shutdown();
    await t.cleanup();
  }
}

if (import.meta.main) await benchPeerCore();
