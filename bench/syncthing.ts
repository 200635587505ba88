/**
 * Syncthing (Debian's 1.19) as a baseline of the namespace bench: a seed
 * instance shares a folder send-only, a receiver instance has it receive-only
 * and paused, each in its own namespace of the testbed. A run unpauses the
 * receiver's folder and times until the receiver reports the folder in sync
 * with every byte on disk: the same rule as lanspread's "download command to
 * download-finished".
 *
 * Set-up: keys come from `syncthing generate`; config.xml is written by
 * syncthing_config.ts (no discovery, relays, NAT traversal, reporting or
 * upgrades; REST on 127.0.0.1 inside the namespace, reached through
 * ns_http_relay.ts). The seed scans (hashes) its folder before any run, as
 * a lanspread seed hashes its library before the download command. Each run
 * gets a fresh receiver (new database, empty folder, same keys).
 *
 * @module
 */
import { join } from "node:path";
import type { TestNode } from "../tests/netns.ts";
import { poll, Rest } from "./ns_rest.ts";
import { memoryOf } from "./peer_bench.ts";
import { cpuSeconds, systemSeconds } from "./download_bench.ts";
import { check, drain, machineCpu } from "./netns_links.ts";
import { syncthingConfig, type SyncthingDevice } from "./syncthing_config.ts";
import { firstWrite } from "./first_write.ts";

const FOLDER = "bench";
const GUI_PORT = 8384;

/** One running Syncthing instance in a namespace. */
class Instance {
  readonly rest: Rest;
  readonly #child: Deno.ChildProcess;
  readonly #log: ReturnType<typeof drain>;

  constructor(readonly node: TestNode, readonly home: string, apiKey: string) {
    // STMONITORED: no monitor process (`--no-restart` alone still forks one), so the pid
    // is Syncthing's own, for its CPU and memory.
    this.#child = node.spawn([
      "syncthing",
      "serve",
      `--home=${home}`,
      "--no-browser",
      "--no-restart",
      "--no-upgrade",
      "--no-default-folder",
      "--skip-port-probing",
      "--logflags=0",
    ], { env: { STNOUPGRADE: "1", STNORESTART: "1", STMONITORED: "1" }, stdin: "null" });
    this.#log = drain(this.#child);
    this.rest = new Rest(node, GUI_PORT, apiKey);
  }

  get pid(): number {
    return this.#child.pid;
  }

  tail(): string {
    return `--- syncthing ${this.node.ns} ---\n${this.#log.tail()}`;
  }

  status(): Promise<Record<string, number | string>> {
    return this.rest.call("GET", `/rest/db/status?folder=${FOLDER}`) as Promise<
      Record<string, number | string>
    >;
  }

  async stop(): Promise<void> {
    await this.rest.call("POST", "/rest/system/shutdown").catch(() => {});
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await this.#child.status;
    clearTimeout(timer);
    await this.rest.close();
    await this.#log.done;
  }
}

/** Figures of one Syncthing run. */
export interface SyncthingRun {
  seconds: number;
  mbps: number;
  /** CPU seconds during the run. */
  receiverCpu: number;
  /** The part of `receiverCpu` spent in the kernel (network, page cache). */
  receiverSystemCpu: number;
  senderCpu: number;
  receiverPeakMb: number;
  /** Cores busy machine-wide during the run (other agents' load included). */
  busyCores: number;
  /** From the unpause to the first data in a file of the folder; null if not watched. */
  firstByteMs: number | null;
}

/** Options of {@linkcode SyncthingPair.create}. */
export interface SyncthingPairOptions {
  seed: TestNode;
  receiver: TestNode;
  /** A scratch folder for both homes and the receiver's data. */
  workDir: string;
  /** The seed's folder, already filled. A `.stfolder` marker is added to it. */
  folder: string;
  /** What the folder holds: every run waits for exactly this much. */
  bytes: number;
  files: number;
  /** Timeout of the seed's first scan. @default {120_000} */
  scanTimeoutMs?: number;
}

/** A seed that has scanned its folder, ready for timed runs of fresh receivers. */
export class SyncthingPair {
  #o: SyncthingPairOptions;
  #devices: SyncthingDevice[];
  #seed: Instance;

  private constructor(o: SyncthingPairOptions, devices: SyncthingDevice[], seed: Instance) {
    this.#o = o;
    this.#devices = devices;
    this.#seed = seed;
  }

  static async create(o: SyncthingPairOptions): Promise<SyncthingPair> {
    const devices: SyncthingDevice[] = [];
    for (const [name, node] of [["st-seed", o.seed], ["st-recv", o.receiver]] as const) {
      const home = join(o.workDir, name);
      // Run inside the namespace: nothing Syncthing does can reach beyond the test LAN.
      await check(node, ["syncthing", "generate", `--home=${home}`, "--skip-port-probing"], 60_000);
      const id = (await check(node, ["syncthing", "serve", `--home=${home}`, "--device-id"]))
        .trim();
      devices.push({ id, name, address: node.address });
    }
    await Deno.mkdir(join(o.folder, ".stfolder"), { recursive: true });
    const seed = await SyncthingPair.#start(o.seed, join(o.workDir, "st-seed"), {
      self: devices[0]!,
      other: devices[1]!,
      folder: { path: o.folder, type: "sendonly", paused: false },
    });
    const pair = new SyncthingPair(o, devices, seed);
    try {
      await poll(
        async () => {
          const s = await seed.status();
          if (s.state === "idle" && holdsAll(s, o)) return true;
          throw new Error(`(last status ${JSON.stringify(s)})`);
        },
        o.scanTimeoutMs ?? 120_000,
        "Syncthing seed scan",
      );
    } catch (error) {
      await pair.close();
      throw new Error(`${error}\n${seed.tail()}`);
    }
    return pair;
  }

  static async #start(
    node: TestNode,
    home: string,
    c: { self: SyncthingDevice; other: SyncthingDevice; folder: Omit<FolderSpec, "id"> },
  ): Promise<Instance> {
    const apiKey = crypto.randomUUID().replaceAll("-", "");
    const xml = syncthingConfig({ ...c, apiKey, folder: { id: FOLDER, ...c.folder } });
    await Deno.writeTextFile(join(home, "config.xml"), xml);
    const instance = new Instance(node, home, apiKey);
    await poll(
      () => instance.rest.call("GET", "/rest/system/ping"),
      30_000,
      "Syncthing REST API up",
      100,
    );
    return instance;
  }

  /** One timed run into a fresh receiver; `watch` are receiver-relative paths for first byte. */
  async run(watch: string[] = []): Promise<SyncthingRun> {
    const o = this.#o;
    const home = join(o.workDir, "st-recv");
    const data = join(o.workDir, "st-recv-data");
    await resetReceiver(home, data);
    const receiver = await SyncthingPair.#start(o.receiver, home, {
      self: this.#devices[1]!,
      other: this.#devices[0]!,
      folder: { path: data, type: "receiveonly", paused: true },
    });
    try {
      const seedId = this.#devices[0]!.id;
      await poll(
        async () => {
          const c = await receiver.rest.call("GET", "/rest/system/connections") as {
            connections: Record<string, { connected: boolean }>;
          };
          return c.connections[seedId]?.connected ? true : undefined;
        },
        30_000,
        "Syncthing receiver connected",
      );
      const events = await receiver.rest.call(
        "GET",
        "/rest/events?events=StateChanged&since=0&timeout=0",
      ) as { id: number }[];
      const sample = async () => [
        await cpuSeconds(receiver.pid),
        await cpuSeconds(this.#seed.pid),
        (await machineCpu())[0]!,
        await systemSeconds(receiver.pid),
      ];
      const cpu0 = await sample();
      const first = firstWrite(watch.map((p) => join(data, p)), 10_000);
      const started = performance.now();
      await receiver.rest.call("PATCH", `/rest/config/folders/${FOLDER}`, { paused: false });
      const ended = await this.#waitInSync(receiver, events.at(-1)?.id ?? 0);
      const cpu1 = await sample();
      const firstAt = await first;
      const seconds = (ended - started) / 1000;
      const onDisk = await bytesIn(data);
      if (onDisk !== o.bytes) throw new Error(`syncthing: ${onDisk} bytes on disk, not ${o.bytes}`);
      return {
        seconds,
        mbps: o.bytes / seconds / 1e6,
        receiverCpu: cpu1[0]! - cpu0[0]!,
        receiverSystemCpu: cpu1[3]! - cpu0[3]!,
        senderCpu: cpu1[1]! - cpu0[1]!,
        busyCores: (cpu1[2]! - cpu0[2]!) / seconds,
        receiverPeakMb: (await memoryOf(receiver.pid))?.peak ?? NaN,
        firstByteMs: firstAt === null ? null : firstAt - started,
      };
    } catch (error) {
      throw new Error(`${error}\n${receiver.tail()}\n${this.#seed.tail()}`);
    } finally {
      await receiver.stop();
      await resetReceiver(home, data);
    }
  }

  /** When the receiver's folder went idle with nothing left to pull (performance.now()). */
  async #waitInSync(receiver: Instance, since: number): Promise<number> {
    const limitMs = 60_000 + this.#o.bytes / 10e3; // far below any rate worth reporting
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      const events = await receiver.rest.call(
        "GET",
        `/rest/events?events=StateChanged&since=${since}&timeout=10`,
      ) as { id: number; data: { folder: string; to: string } }[];
      const at = performance.now();
      for (const e of events) since = Math.max(since, e.id);
      if (!events.some((e) => e.data.folder === FOLDER && e.data.to === "idle")) continue;
      const s = await receiver.status();
      if (s.state === "idle" && s.needBytes === 0 && holdsAll(s, this.#o)) return at;
    }
    throw new Error(`syncthing: receiver not in sync within ${limitMs} ms`);
  }

  async close(): Promise<void> {
    await this.#seed.stop();
  }
}

/** The folder status counts every file and byte of the data (a directory counts 128 bytes). */
function holdsAll(s: Record<string, number | string>, o: { bytes: number; files: number }) {
  const dirs = Number(s.localDirectories);
  return s.localFiles === o.files && s.localBytes === o.bytes + 128 * dirs;
}

type FolderSpec = Parameters<typeof syncthingConfig>[0]["folder"];

/** Bytes of the regular files below `dir`, Syncthing's own marker and temporaries aside. */
async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".st") || entry.name.startsWith(".syncthing.")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) total += await bytesIn(path);
    else if (entry.isFile) total += (await Deno.stat(path)).size;
  }
  return total;
}

/** Keeps the receiver's keys, drops its database, config and data; an empty folder with marker. */
async function resetReceiver(home: string, data: string): Promise<void> {
  for await (const entry of Deno.readDir(home)) {
    if (entry.name !== "cert.pem" && entry.name !== "key.pem") {
      await Deno.remove(join(home, entry.name), { recursive: true });
    }
  }
  await Deno.remove(data, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(data, ".stfolder"), { recursive: true });
}
