/**
 * One Download against fake sources (in-memory games answering get-block),
 * with real staging, commit and resume records on disk.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import { EventLog } from "../../common/events.ts";
import { silentLogger } from "../../common/log.ts";
import { RateGate } from "../../common/rate_limit.ts";
import { buildManifest, sha256Hex } from "../library/mod.ts";
import type { Request } from "../../wire/messages.ts";
import type { BlockRun, Manifest } from "../../wire/download_schemas.ts";
import { Download } from "./download.ts";
import type { DownloadTarget } from "./resume_state.ts";
import type { PeerSource, Requester } from "./sources.ts";

const BLOCK = 4;
const FILES: Record<string, string> = {
  "version.ini": "2",
  "a.bin": "0123456789abcdef-",
  "sub/b.bin": "hello, world",
  "empty": "",
};

function game(): { manifest: Manifest; hash: string; bytes: Map<string, Uint8Array> } {
  const enc = new TextEncoder();
  const bytes = new Map(Object.entries(FILES).map(([p, t]) => [p, enc.encode(t)]));
  const files = [...bytes].map(([path, data]) => ({
    path,
    size: data.length,
    blocks: Array.from(
      { length: Math.ceil(data.length / BLOCK) },
      (_, i) => sha256Hex(data.subarray(i * BLOCK, (i + 1) * BLOCK)),
    ),
  }));
  const built = buildManifest({ game: "G", version: "2", blockSize: BLOCK, files });
  return { manifest: built.manifest, hash: built.hash, bytes };
}

/** A source answering get-block from `bytes`; `spoil` turns the bytes of chosen blocks bad. */
function fakeSource(bytes: Map<string, Uint8Array>, spoil = (_run: BlockRun) => false): Requester {
  const answer = (request: Request) => {
    if (request.type !== "get-block") throw new Error(`unexpected ${request.type}`);
    const runs: (BlockRun & { bytes: number })[] = [];
    const parts: Uint8Array[] = [];
    for (const run of request.runs) {
      const data = bytes.get(run.path)!;
      const slice = data.slice(run.index * BLOCK, (run.index + run.count) * BLOCK);
      if (spoil(run)) slice.fill(0x21);
      const count = Math.ceil(slice.length / BLOCK);
      runs.push({ ...run, count, bytes: slice.length });
      parts.push(slice);
    }
    const payload = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) (payload.set(part, at), at += part.length);
    return {
      message: { type: "block" as const, game: "G", runs, payload: payload.length },
      payload,
    };
  };
  return {
    request: (request) => Promise.resolve(answer(request)),
    // The answer's payload handed out piece by piece, as a QUIC stream would.
    stream: (request) => {
      const { message, payload } = answer(request);
      let at = 0;
      return Promise.resolve({
        message,
        get left() {
          return payload.length - at;
        },
        read(into: Uint8Array<ArrayBuffer>) {
          const n = Math.min(into.length, payload.length - at);
          into.set(payload.subarray(at, at + n));
          at += n;
          return Promise.resolve(into.subarray(0, n));
        },
        close() {},
      });
    },
  };
}

function peersOf(sources: Record<string, Requester>, hash: string): PeerSource {
  return {
    offers: () =>
      Object.keys(sources).map((peerId) => ({ peerId, version: "2", manifestHash: hash })),
    session: (peerId) => sources[peerId] ?? null,
    onChange: () => () => {},
  };
}

async function setup(sources: (bytes: Map<string, Uint8Array>) => Record<string, Requester>) {
  const root = await Deno.makeTempDir();
  const g = game();
  const events = new EventLog();
  const target = (): DownloadTarget => ({
    game: "G",
    version: "2",
    manifestHash: g.hash,
    manifest: g.manifest,
    install: false,
    verified: new Set(),
    unconfirmed: new Set(),
    stamps: new Map(),
  });
  const deps = {
    gamesDir: join(root, "games"),
    stateDir: join(root, "state"),
    peers: peersOf(sources(g.bytes), g.hash),
    events,
    log: silentLogger,
    gate: new RateGate(null),
    buffers: new BufferPool(),
    onCommitted: () => Promise.resolve(),
    progressEveryMs: 10,
  };
  const read = (path: string) => Deno.readTextFile(join(root, "games", "G", ...path.split("/")));
  return { root, events, target, deps, read, done: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("a download against a fake source verifies, commits and ends with every file", async () => {
  const s = await setup((bytes) => ({ alpha: fakeSource(bytes) }));
  try {
    const outcome = await new Download(s.target(), s.deps).run();
    assertEquals(outcome.kind, "finished", JSON.stringify(outcome));
    for (const [path, text] of Object.entries(FILES)) assertEquals(await s.read(path), text);
    const names = s.events.since(0).map((e) => e.event);
    assert(names.includes("download-begin"), names.join(", "));
  } finally {
    await s.done();
  }
});

Deno.test("a source that spoils blocks is dropped; the other's bytes make the game", async () => {
  const s = await setup((bytes) => ({
    alpha: fakeSource(bytes),
    mallory: fakeSource(bytes, () => true),
  }));
  const reported: string[] = [];
  try {
    const outcome = await new Download(s.target(), {
      ...s.deps,
      onBadBlock: (peerId) => reported.push(peerId),
    }).run();
    assertEquals(outcome.kind, "finished");
    for (const [path, text] of Object.entries(FILES)) assertEquals(await s.read(path), text);
    assert(reported.length > 0 && reported.every((p) => p === "mallory"), reported.join());
  } finally {
    await s.done();
  }
});

Deno.test("with only a spoiling source the download stalls and says why; nothing is committed", async () => {
  const s = await setup((bytes) => ({ mallory: fakeSource(bytes, () => true) }));
  try {
    const download = new Download(s.target(), s.deps);
    const running = download.run();
    const stalled = await s.events.waitFor((e) => e.event === "download-stalled", {
      signal: AbortSignal.timeout(5_000),
    });
    const reason = stalled.event === "download-stalled" ? stalled.data.reason : "";
    assert(/every source was dropped: mallory/.test(reason), reason);
    download.cancel();
    assertEquals((await running).kind, "cancelled");
    assertEquals(await Deno.stat(join(s.root, "games", "G")).then(() => true, () => false), false);
  } finally {
    await s.done();
  }
});

/** Peers whose offers come and go: `set` replaces them and tells the download. */
function changingPeers(hash: string) {
  let sources: Record<string, Requester> = {};
  const listeners = new Set<() => void>();
  const peers: PeerSource = {
    offers: () =>
      Object.keys(sources).map((peerId) => ({ peerId, version: "2", manifestHash: hash })),
    session: (peerId) => sources[peerId] ?? null,
    onChange: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
  };
  const set = (next: Record<string, Requester>) => {
    sources = next;
    for (const listener of listeners) listener();
  };
  return { peers, set };
}

Deno.test("a source back within the grace period (a connection swap) is no stall; a longer absence is one", async () => {
  const s = await setup(() => ({}));
  const g = game();
  try {
    const swap = changingPeers(g.hash);
    const quick = new Download(s.target(), { ...s.deps, peers: swap.peers }).run();
    await new Promise((r) => setTimeout(r, 300));
    swap.set({ alpha: fakeSource(g.bytes) });
    assertEquals((await quick).kind, "finished");
    const names = s.events.since(0).map((e) => e.event);
    assert(!names.includes("download-stalled"), names.join(", "));

    await Deno.remove(join(s.root, "games"), { recursive: true });
    const gone = changingPeers(g.hash);
    const started = performance.now();
    const slow = new Download(s.target(), { ...s.deps, peers: gone.peers }).run();
    const stalled = await s.events.waitFor((e) => e.event === "download-stalled", {
      signal: AbortSignal.timeout(5_000),
    });
    const waited = performance.now() - started;
    assert(waited >= 1_000, `stalled after ${waited.toFixed(0)} ms`);
    const reason = stalled.event === "download-stalled" ? stalled.data.reason : "";
    assert(/no connected peer offers G 2/.test(reason), reason);
    gone.set({ alpha: fakeSource(g.bytes) });
    assertEquals((await slow).kind, "finished");
    assert(s.events.since(0).some((e) => e.event === "download-resumed"));
  } finally {
    await s.done();
  }
});
