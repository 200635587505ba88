import { assertEquals } from "../../../tests/assert.ts";
import { buildManifest } from "../library/mod.ts";
import {
  chooseManifest,
  latestOffers,
  type Offer,
  type PeerSource,
  type Requester,
} from "./sources.ts";

const h = (c: string) => c.repeat(64);

function manifestOf(content: string) {
  return buildManifest({
    game: "G",
    version: "2",
    blockSize: 4,
    files: [{ path: "a.bin", size: 4, blocks: [h(content)] }],
  });
}

/** Peers that answer get-manifest with given bytes (fake sessions: failure injection only). */
function peersAnswering(answers: Record<string, { bytes: Uint8Array; hash: string }>): PeerSource {
  return {
    offers: () => [],
    onChange: () => () => {},
    session: (peerId) =>
      ({
        request: () => {
          const a = answers[peerId]!;
          return Promise.resolve({
            message: {
              type: "manifest",
              game: "G",
              version: "2",
              hash: a.hash,
              payload: a.bytes.length,
            },
            payload: a.bytes,
          });
        },
      }) as unknown as Requester,
  };
}

Deno.test("the newest version wins, with every peer that offers it", () => {
  const offers: Offer[] = [
    { peerId: "a", version: "1.9" },
    { peerId: "b", version: "1.10" },
    { peerId: "c", version: "1.10" },
  ];
  assertEquals(latestOffers(offers), { version: "1.10", offers: offers.slice(1) });
  assertEquals(latestOffers([]), null);
});

Deno.test("the manifest most peers agree on is chosen; dissenters and liars are named", async () => {
  const good = manifestOf("a");
  const other = manifestOf("b");
  const peers = peersAnswering({
    p1: good,
    p2: good,
    p3: other,
    // Claims the good hash but sends other bytes: fails its own hash check.
    p4: { bytes: other.bytes, hash: good.hash },
  });
  const offers = ["p1", "p2", "p3", "p4"].map((peerId) => ({ peerId, version: "2" }));
  const signal = new AbortController().signal;
  const chosen = await chooseManifest({ peers, game: "G", version: "2", offers, signal });
  if (chosen.kind !== "chosen") throw new Error("no manifest chosen");
  assertEquals(chosen.hash, good.hash);
  assertEquals(chosen.agree, ["p1", "p2"]);
  assertEquals(chosen.rejected.map((r) => r.peerId).sort(), ["p3", "p4"]);
  assertEquals(chosen.rejected.find((r) => r.peerId === "p4")!.reason.includes("hash"), true);
});

Deno.test("two copies of one version with no majority are a conflict naming both sides", async () => {
  const a = manifestOf("a");
  const b = manifestOf("b");
  const signal = new AbortController().signal;
  const one = await chooseManifest({
    peers: peersAnswering({ p1: a, p2: b }),
    game: "G",
    version: "2",
    offers: ["p1", "p2"].map((peerId) => ({ peerId, version: "2" })),
    signal,
  });
  if (one.kind !== "conflict") throw new Error(`expected a conflict, got ${one.kind}`);
  assertEquals(one.groups.map((g) => g.peers).flat().sort(), ["p1", "p2"]);
  const two = await chooseManifest({
    peers: peersAnswering({ p1: a, p2: b, p3: b }),
    game: "G",
    version: "2",
    offers: ["p1", "p2", "p3"].map((peerId) => ({ peerId, version: "2" })),
    signal,
  });
  if (two.kind !== "chosen") throw new Error("a real majority decides");
  assertEquals(two.hash, b.hash);
  assertEquals(two.rejected.map((r) => r.peerId), ["p1"]);
});
