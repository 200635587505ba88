import { assert, assertEquals } from "../../tests/assert.ts";
import { PeerInfo, WireGame } from "./protocol.ts";

const game = { id: "Quake", name: "Quake", version: "1.0", size: 1, files: 1 };

Deno.test("wire schemas refuse control characters and bidi overrides in names, versions, genres, players", () => {
  assert(WireGame.safeParse(game).success);
  const hostile = [
    "a\x1b[2J",
    "a\nb",
    "a\rb",
    "a\u0085b",
    "a\x7fb",
    "a\u202eb",
    "a\u2066b",
    "\ud800",
  ];
  for (const text of hostile) {
    for (const field of ["name", "version", "genre", "players", "installedVersion", "cover"]) {
      const parsed = WireGame.safeParse({ ...game, [field]: text });
      assert(!parsed.success, `${field}: ${JSON.stringify(text)}`);
    }
    const peer = { protocolVersion: 2, peerId: "a".repeat(16), name: text, addr: "127.0.0.1:1" };
    assert(!PeerInfo.safeParse(peer).success, JSON.stringify(text));
  }
});

Deno.test("descriptions keep newlines and tabs but refuse other control characters", () => {
  const ok = WireGame.safeParse({ ...game, description: "line one\nline\ttwo ゲーム" });
  assertEquals(ok.success, true);
  for (const text of ["a\x1b[2J", "a\rb", "a\u009bb", "\udc00"]) {
    assert(!WireGame.safeParse({ ...game, description: text }).success, JSON.stringify(text));
  }
});
