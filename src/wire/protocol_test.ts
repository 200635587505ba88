import { assert, assertEquals } from "../../tests/assert.ts";
import { LIMITS } from "./protocol.ts";
import { PeerInfo } from "./handshake_schemas.ts";
import { WireGame } from "./library_schemas.ts";

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

Deno.test("the worst game entry fits maxGameEntryBytes, and a page of them fits a frame", () => {
  const wide = (n: number) => "語".repeat(n); // 3 bytes of UTF-8 per UTF-16 unit
  const worst = {
    id: "G".repeat(64),
    name: wide(LIMITS.maxNameLength),
    version: wide(LIMITS.maxNameLength),
    size: Number.MAX_SAFE_INTEGER,
    files: Number.MAX_SAFE_INTEGER,
    manifestHash: "f".repeat(64),
    description: wide(LIMITS.maxTextLength),
    genre: wide(LIMITS.maxNameLength),
    players: wide(LIMITS.maxNameLength),
    cover: wide(LIMITS.maxPathLength),
    installedVersion: wide(LIMITS.maxNameLength),
  };
  assert(WireGame.safeParse(worst).success);
  const bytes = new TextEncoder().encode(JSON.stringify(worst)).length;
  assert(bytes <= LIMITS.maxGameEntryBytes, `${bytes} > ${LIMITS.maxGameEntryBytes}`);
  // Escapes cost at most 2 bytes per unit (\n, \t, \", \\): no worse than the wide text.
  const escaped = { ...worst, description: '\n"\\\t'.repeat(LIMITS.maxTextLength / 4) };
  assert(WireGame.safeParse(escaped).success);
  assert(new TextEncoder().encode(JSON.stringify(escaped)).length <= bytes);
  assert(LIMITS.maxGameEntryBytes <= LIMITS.maxPageBytes, "every page holds a game");
  // hello: a page plus peer info, nonce and proof (well under 64 KiB).
  assert(LIMITS.maxPageBytes + 64 * 1024 <= LIMITS.maxHeaderBytes);
  assert(LIMITS.maxDeltaBytes + 64 * 1024 <= LIMITS.maxHeaderBytes);
});
