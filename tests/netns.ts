/**
 * A throw-away LAN made of Linux network namespaces, for tests that need
 * real multicast (mDNS) or several peers on separate "machines".
 *
 * Layout for `createTestbed({ nodes: 3 })`:
 *
 * ```
 *   netns <prefix>-sw:  bridge br0 ── veth v0, v1, v2
 *   netns <prefix>-0:   eth0 10.77.0.2/24   (peer of v0)   + route 224.0.0.0/4 dev eth0
 *   netns <prefix>-1:   eth0 10.77.0.3/24   (peer of v1)   + route 224.0.0.0/4 dev eth0
 *   netns <prefix>-2:   eth0 10.77.0.4/24   (peer of v2)   + route 224.0.0.0/4 dev eth0
 * ```
 *
 * The bridge lives in its own namespace, not in the root one: nothing here
 * touches the machine's real interfaces, root-namespace firewall rules
 * (br_netfilter) do not apply to it, and parallel test runs each get their
 * own isolated segment (names carry the process id and a random tag, so the
 * same 10.77.0.0/24 can be reused by every run).
 *
 * Usage (always tears down, even when `fn` throws):
 *
 * ```ts
 * const reason = await netnsUnavailable();
 * if (reason) { console.log(`skipped: ${reason}`); return; }
 * await withTestbed({ nodes: 3 }, async (bed) => {
 *   const child = bed.nodes[0]!.spawn(["deno", "run", "-A", "x.ts"]);
 *   const { stdout } = await bed.nodes[1]!.exec(["ip", "addr"]);
 * });
 * ```
 *
 * Requires root and iproute2 (`ip`). Namespaces left behind by a killed run
 * are removed by the next run (their owner pid no longer exists).
 *
 * @module
 */

/** One namespace ("machine") on the test LAN. */
export interface TestNode {
  /** Namespace name, for `ip netns exec`. */
  ns: string;
  /** Its IPv4 address on the LAN. */
  address: string;
  /** Interface name inside the namespace. */
  iface: string;
  /** Starts a long-running process inside the namespace; killed on teardown if still running. */
  spawn(cmd: string[], options?: SpawnOptions): Deno.ChildProcess;
  /** Runs a command inside the namespace to completion (bounded by `timeoutMs`). */
  exec(cmd: string[], options?: SpawnOptions & { timeoutMs?: number }): Promise<ExecResult>;
  /** Removes this node's LAN interface (the cable is pulled). */
  unplug(): Promise<void>;
  /** Gives the node a LAN interface again, same address (the cable is back). */
  plug(): Promise<void>;
}

/** Options of {@linkcode TestNode.spawn} and {@linkcode TestNode.exec}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** @default {"piped"} */
  stdin?: "piped" | "null";
}

/** What {@linkcode TestNode.exec} returns. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A created LAN. */
export interface Testbed {
  /** Prefix of every namespace of this bed. */
  prefix: string;
  nodes: TestNode[];
  /** Deletes everything; safe to call twice. */
  destroy(): Promise<void>;
}

/** Options of {@linkcode createTestbed}. */
export interface TestbedOptions {
  /** Number of namespaces on the LAN. */
  nodes: number;
  /** First three octets of the /24. @default {"10.77.0"} */
  subnet?: string;
  /**
   * Add `224.0.0.0/4 dev eth0` in every namespace. Without it (and without a
   * default route) the LAN looks like a gateway-less LAN-party switch.
   * @default {true}
   */
  multicastRoute?: boolean;
}

const ROOT_PREFIX = "lsnet";
const decoder = new TextDecoder();

async function run(cmd: string[], timeoutMs = 10_000): Promise<ExecResult> {
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function ip(...args: string[]): Promise<void> {
  const r = await run(["ip", ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Why namespaces cannot be used here (not root, no `ip`), or null if they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) return "network namespaces need root (run the tests as root)";
  try {
    const r = await run(["ip", "netns", "list"]);
    if (r.code !== 0) return `\`ip netns\` does not work: ${r.stderr.trim()}`;
  } catch {
    return "iproute2 (`ip`) is not installed";
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Deletes namespaces of earlier runs whose process is gone. */
async function removeStale(): Promise<void> {
  const { stdout } = await run(["ip", "netns", "list"]);
  for (const line of stdout.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const match = new RegExp(`^${ROOT_PREFIX}-(\\d+)-`).exec(name);
    if (match && !alive(Number(match[1]))) await run(["ip", "netns", "del", name]);
  }
}

/** Creates the LAN. Prefer {@linkcode withTestbed}, which always destroys it. */
export async function createTestbed(options: TestbedOptions): Promise<Testbed> {
  if (options.nodes < 1 || options.nodes > 200) throw new RangeError("1 to 200 nodes");
  await removeStale();
  const tag = crypto.randomUUID().slice(0, 6);
  const prefix = `${ROOT_PREFIX}-${Deno.pid}-${tag}`;
  const sw = `${prefix}-sw`;
  const subnet = options.subnet ?? "10.77.0";
  const children = new Set<Deno.ChildProcess>();
  const created: string[] = [];
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await Promise.allSettled([...children].map((c) => c.status));
    for (const ns of created.reverse()) await run(["ip", "netns", "del", ns]).catch(() => {});
  };

  try {
    await ip("netns", "add", sw);
    created.push(sw);
    await ip("-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    await ip("-n", sw, "link", "set", "br0", "up");
    const nodes: TestNode[] = [];
    for (let i = 0; i < options.nodes; i++) {
      const ns = `${prefix}-${i}`;
      const address = `${subnet}.${i + 2}`;
      await ip("netns", "add", ns);
      created.push(ns);
      await ip("-n", ns, "link", "set", "lo", "up");
      const plug = async () => {
        await ip(
          "-n",
          sw,
          "link",
          "add",
          `v${i}`,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          ns,
        );
        await ip("-n", sw, "link", "set", `v${i}`, "master", "br0", "up");
        await ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0");
        await ip("-n", ns, "link", "set", "eth0", "up");
        // Multicast normally follows this route (there is no default route).
        if (options.multicastRoute ?? true) {
          await ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
        }
      };
      await plug();
      const spawn = (cmd: string[], o: SpawnOptions = {}) => {
        if (destroyed) throw new Error("testbed destroyed");
        const child = new Deno.Command("ip", {
          args: ["netns", "exec", ns, ...cmd],
          cwd: o.cwd,
          env: o.env,
          stdin: o.stdin ?? "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        children.add(child);
        child.status.finally(() => children.delete(child));
        return child;
      };
      nodes.push({
        ns,
        address,
        iface: "eth0",
        spawn,
        exec: async (cmd, o = {}) => {
          const child = spawn(cmd, { ...o, stdin: "null" });
          const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
          try {
            const out = await child.output();
            return {
              code: out.code,
              stdout: decoder.decode(out.stdout),
              stderr: decoder.decode(out.stderr),
            };
          } finally {
            clearTimeout(timer);
          }
        },
        unplug: () => ip("-n", sw, "link", "del", `v${i}`),
        plug,
      });
    }
    return { prefix, nodes, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** Creates a LAN, runs `fn`, and destroys the LAN whatever happens. */
export async function withTestbed<T>(
  options: TestbedOptions,
  fn: (bed: Testbed) => Promise<T>,
): Promise<T> {
  const bed = await createTestbed(options);
  try {
    return await fn(bed);
  } finally {
    await bed.destroy();
  }
}
