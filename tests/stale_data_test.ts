/**
 * A seed whose files no longer match what it hashed, with real peer
 * processes: content changed under an unchanged size and mtime (`cp -p`,
 * `rsync -t`, a restored backup), and a hash cache that lies (a restored
 * state folder). The seed notices, hashes again and announces the new
 * manifest; a downloader ends with the right bytes.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { fileBytes, tempTree, writeGame } from "./fixtures.ts";
import { inTree, PeerProcess } from "./peer_process.ts";
import { helloSession } from "./member.ts";
import { DEFAULT_PARTY_KEY } from "../src/trust/party.ts";
import { parseManifest, sha256Hex } from "../src/peer/library/mod.ts";

const MiB = 1024 * 1024;
const SIZE = 3 * MiB + 17;

function hashOf(peer: PeerProcess, since = 0) {
  return peer.waitEvent("library-hashed", (e) => e.game === "Game", 20_000, since)
    .then((e) => String(e.manifestHash));
}

Deno.test({
  name: "bytes changed under the same size and mtime are noticed: a new hash, a correct download",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGame(t.path("seed"), { id: "Game", version: "1.0", files: { "data.bin": SIZE } });
    const peers: PeerProcess[] = [];
    try {
      const seed = await PeerProcess.start(inTree(t, "seed"));
      peers.push(seed);
      const before = await hashOf(seed);
      // New bytes, same size, mtime put back: what `cp -p` or a restored backup does.
      const path = join(t.path("seed"), "Game", "data.bin");
      const { mtime, atime, ctime } = await Deno.stat(path);
      const changed = fileBytes("other content", SIZE);
      // Deno reports ctime to the second: make sure the rewrite lands in a later one.
      while (Math.floor(Date.now() / 1000) <= Math.floor(ctime!.getTime() / 1000)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const mark = seed.records.length;
      await Deno.writeFile(path, changed);
      await Deno.utime(path, atime!, mtime!);
      assertEquals((await Deno.stat(path)).mtime, mtime);
      const after = await hashOf(seed, mark);
      assert(after !== before, "the seed announces a new manifest");

      const dl = await PeerProcess.start(inTree(t, "dl", { connect: [seed.addr] }));
      peers.push(dl);
      await dl.until(
        async () => {
          const row = (await dl.games()).find((g) => g.id === "Game");
          return (row?.sources as string[] | undefined)?.length ? true : undefined;
        },
        10_000,
        "the seed's offer",
      );
      await dl.command("download", { game: "Game" });
      await dl.waitEvent("download-finished", (e) => e.game === "Game", 30_000);
      const got = await Deno.readFile(join(t.path("dl"), "Game", "data.bin"));
      assert(sha256Hex(got) === sha256Hex(changed), "the download holds the new bytes");
    } finally {
      await Promise.all(peers.map((p) => p.shutdown()));
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "a seed told a block is bad re-checks it, and a lying hash cache gives way to a new hash",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await writeGame(t.path("seed"), { id: "Game", version: "1.0", files: { "data.bin": SIZE } });
    let seed = await PeerProcess.start(inTree(t, "seed"));
    let close = () => {};
    try {
      const honest = await hashOf(seed);
      await seed.shutdown();
      // The hash cache claims other bytes for block 1 (a state folder restored from elsewhere).
      const cachePath = join(t.path("seed-state"), "hash-cache", "Game.json");
      const cache = JSON.parse(await Deno.readTextFile(cachePath));
      cache.files.find((f: { path: string }) => f.path === "data.bin").blocks[1] = "0".repeat(64);
      await Deno.writeTextFile(cachePath, JSON.stringify(cache));
      seed = await PeerProcess.start(inTree(t, "seed"));
      const lying = await hashOf(seed);
      assert(lying !== honest, "served from the lying cache at first");

      const member = await helloSession(t.path("member"), DEFAULT_PARTY_KEY, {
        hostname: "127.0.0.1",
        port: Number(seed.addr.split(":")[1]),
      });
      close = member.close;
      const answer = await member.session.request({ type: "get-manifest", game: "Game" });
      assert(answer.message.type === "manifest");
      const parsed = parseManifest(answer.payload!, answer.message.hash, { game: "Game" });
      assert(parsed.ok);
      const block = await member.session.request({
        type: "get-block",
        game: "Game",
        runs: [{ path: "data.bin", index: 1, count: 1 }],
      });
      const expected = parsed.manifest.files[0]!.blocks[1];
      assert(sha256Hex(block.payload!) !== expected, "the block fails verification");
      const mark = seed.records.length;
      const taken = await member.session.reportBadBlock({
        game: "Game",
        path: "data.bin",
        index: 1,
      });
      assertEquals(taken, true);
      assertEquals(await hashOf(seed, mark), honest, "the seed hashed the file again");
      assert(/reported bad by member .* no longer matches its hash/.test(seed.stderr), seed.tail());
    } finally {
      close();
      await seed.shutdown();
      await t.cleanup();
    }
  },
});
