import { assert, assertEquals, assertRejects } from "../../../tests/assert.ts";
import { BufferPool } from "../../common/buffer_pool.ts";
import { LIMITS } from "../../wire/protocol.ts";
import type { BlockFailure, RunAnswer } from "../library/mod.ts";
import { type LibraryPort, serveBlocks } from "./serve.ts";

const MiB = LIMITS.blockSize;

/** A library of files of the given sizes whose byte i is (i + file) & 0xff; it logs every read. */
function library(sizes: Record<string, number>, fail: Record<string, BlockFailure> = {}) {
  const log = { reads: [] as string[], opened: 0, closed: 0 };
  const port: LibraryPort = {
    snapshot: () => ({ rev: 0, games: [] }),
    onChange: () => () => {},
    getManifest: () => Promise.reject(new Error("unused")),
    reportBadBlock: () => ({ ok: true }),
    openRun: (_game, path, index, count = 1): RunAnswer => {
      const size = sizes[path];
      if (size === undefined) return { ok: false, code: "not-found", message: path };
      const blocks = Math.ceil(size / MiB);
      if (index >= blocks) return { ok: false, code: "not-found", message: "past the end" };
      const n = Math.min(count, blocks - index);
      const bytes = Math.min(n * MiB, size - index * MiB);
      let at = index * MiB;
      log.opened++;
      return {
        ok: true,
        count: n,
        bytes,
        read: (length, allocate) => {
          log.reads.push(`${path}@${at}+${length}`);
          if (fail[path]) return Promise.resolve(fail[path]);
          const piece = new Uint8Array(allocate?.(length) ?? new ArrayBuffer(length), 0, length);
          const seed = path.length;
          for (let i = 0; i < length; i++) piece[i] = (at + i + seed) & 0xff;
          at += length;
          return Promise.resolve(piece);
        },
        close: () => void log.closed++,
      };
    },
  };
  return { port, log };
}

async function written(reply: Awaited<ReturnType<typeof serveBlocks>>): Promise<number[]> {
  const pieces: number[] = [];
  await reply.body!.write((piece) => {
    pieces.push(piece.length);
    return Promise.resolve();
  });
  return pieces;
}

Deno.test("an answer is sized before any read, its first block goes out alone, then a few at once", async () => {
  const { port, log } = library({ "a.bin": 10 * MiB + 5, "b.bin": 100 });
  const reply = await serveBlocks(port, {
    game: "g",
    runs: [{ path: "a.bin", index: 2, count: 16 }, { path: "b.bin", index: 0, count: 1 }],
  }, new BufferPool());
  assertEquals(reply.message, {
    type: "block",
    game: "g",
    runs: [
      { path: "a.bin", index: 2, count: 9, bytes: 8 * MiB + 5 },
      { path: "b.bin", index: 0, count: 1, bytes: 100 },
    ],
    payload: 8 * MiB + 105,
  });
  assert(reply.bulk, "sent after all else, in order");
  assertEquals(
    log.reads,
    ["a.bin@2097152+1048576"],
    "only the first block is read before answering",
  );
  assertEquals(await written(reply), [MiB, 4 * MiB, 3 * MiB + 5, 100]);
  assertEquals([log.opened, log.closed >= log.opened], [2, true]);
});

Deno.test("an answer stops before the response limit; runs that cannot be sized end it", async () => {
  const { port } = library({ "a.bin": 20 * MiB, "b.bin": 20 * MiB });
  const runs = [
    { path: "a.bin", index: 0, count: 10 },
    { path: "gone.bin", index: 0, count: 1 },
    { path: "b.bin", index: 0, count: 10 },
  ];
  const reply = await serveBlocks(port, { game: "g", runs });
  assertEquals(reply.message.type === "block" && reply.message.runs.length, 1);
  const full = await serveBlocks(port, { game: "g", runs: [runs[0]!, runs[2]!] });
  assertEquals(full.message.type === "block" && full.message.runs.length, 1, "16 MiB at most");
  reply.body!.cancel();
  full.body!.cancel();
});

Deno.test("a first block that cannot be read is an error answer; a later one resets the stream", async () => {
  const busy: BlockFailure = { ok: false, code: "busy", message: "changed", retryAfterMs: 1000 };
  const first = library({ "a.bin": MiB }, { "a.bin": busy });
  const refused = await serveBlocks(first.port, {
    game: "g",
    runs: [{ path: "a.bin", index: 0, count: 1 }],
  });
  assertEquals(refused.message, {
    type: "error",
    code: "busy",
    message: "changed",
    retryAfterMs: 1000,
  });
  assertEquals(first.log.closed, first.log.opened, "nothing left open");
  const later = library({ "a.bin": MiB, "b.bin": MiB }, { "b.bin": busy });
  const reply = await serveBlocks(later.port, {
    game: "g",
    runs: [{ path: "a.bin", index: 0, count: 1 }, { path: "b.bin", index: 0, count: 1 }],
  }, new BufferPool());
  await assertRejects(() => written(reply), Error, "changed");
  assertEquals(later.log.closed >= later.log.opened, true, "nothing left open");
});

Deno.test("a bad path anywhere refuses the whole request before anything is opened", async () => {
  const { port, log } = library({ "a.bin": MiB });
  const reply = await serveBlocks(port, {
    game: "g",
    runs: [{ path: "a.bin", index: 0, count: 1 }, { path: "../x", index: 0, count: 1 }],
  });
  assertEquals(reply.message.type === "error" && reply.message.code, "bad-request");
  assertEquals(log.opened, 0);
});
