import { assertEquals } from "../../../tests/assert.ts";
import { buildManifest } from "../library/mod.ts";
import type { Session } from "../../wire/session.ts";
import { chooseManifest, latestOffers, type Offer, type PeerSource } from "./sources.ts";

const h = (c: string) => c.repeat(64);

function manifestOf(content: string) {
  return buildManifest("G", "2", 4, [{ path: "a.bin", size: 4, blocks: [h(content)] }]);
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
      }) as unknown as Session,
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
  const chosen = await chooseManifest(peers, "G", "2", offers, new AbortController().signal);
  if (!("hash" in chosen)) throw new Error("no manifest chosen");
  assertEquals(chosen.hash, good.hash);
  assertEquals(chosen.agree, ["p1", "p2"]);
  assertEquals(chosen.rejected.map((r) => r.peerId).sort(), ["p3", "p4"]);
  assertEquals(chosen.rejected.find((r) => r.peerId === "p4")!.reason.includes("hash"), true);
});
