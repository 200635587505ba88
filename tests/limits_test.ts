/**
 * Upload and download caps hold over real QUIC on loopback.
 */
import { assert } from "./assert.ts";
import { tempTree, type Tree, writeGame } from "./fixtures.ts";
import { createLogger } from "../src/common/log.ts";
import { Runtime, type RuntimeOptions } from "../src/peer/runtime.ts";
import { helloSession } from "./member.ts";

const MiB = 1024 * 1024;

async function peer(
  t: Tree,
  name: string,
  extra: Partial<RuntimeOptions> = {},
) {
  return await Runtime.start({
    gamesDir: t.path(name),
    stateDir: t.path(`${name}-state`),
    name,
    host: "127.0.0.1",
    port: 0,
    partyKey: "limits",
    connect: [],
    log: createLogger({ level: "warn" }),
    ...extra,
  });
}

/** Resolves once the seed offers its game hashed (the event may be past already). */
async function hashed(runtime: Runtime): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!runtime.events.since(0).some((e) => e.event === "library-hashed")) {
    if (Date.now() > deadline) throw new Error("the seed never hashed its game");
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("an upload cap paces block answers to the configured rate", async () => {
  const t = await tempTree();
  await writeGame(t.path("seed"), { id: "Big", version: "1", files: { "big.bin": 12 * MiB } });
  const seed = await peer(t, "seed", { uploadLimit: 4 });
  let close = () => {};
  try {
    await hashed(seed);
    const member = await helloSession(t.path("client-state"), "limits", {
      hostname: "127.0.0.1",
      port: seed.port,
    });
    close = member.close;
    const session = member.session;
    const started = performance.now();
    const reply = await session.request({
      type: "get-block",
      game: "Big",
      runs: [{ path: "big.bin", index: 0, count: 12 }],
    }, { timeoutMs: 30_000 });
    const seconds = (performance.now() - started) / 1000;
    assert(reply.payload?.length === 12 * MiB);
    // 12.6 MB at 4 MB/s, less a quarter second of burst: about 2.9 s.
    assert(seconds > 2.4 && seconds < 8, `took ${seconds.toFixed(2)} s`);
  } finally {
    close();
    await seed.stop();
    await t.cleanup();
  }
});

Deno.test("a download cap holds a download to the configured rate", async () => {
  const t = await tempTree();
  await writeGame(t.path("seed"), { id: "Big", version: "1", files: { "big.bin": 12 * MiB } });
  const seed = await peer(t, "seed");
  const client = await peer(t, "client", { downloadLimit: 4 });
  try {
    await hashed(seed);
    await client.api.connect(seed.addr);
    const finished = client.events.waitFor((e) => e.event === "download-finished", {
      signal: AbortSignal.timeout(30_000),
    });
    const started = performance.now();
    client.api.download("Big", { install: false });
    await finished;
    const seconds = (performance.now() - started) / 1000;
    assert(seconds > 2.4 && seconds < 10, `took ${seconds.toFixed(2)} s`);
  } finally {
    await client.stop();
    await seed.stop();
    await t.cleanup();
  }
});
