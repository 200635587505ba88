import { assertEquals } from "../../../tests/assert.ts";
import type { LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { applyDelta, diffSnapshots, isEmptyDelta } from "./delta.ts";

const game = (id: string, version = "1"): WireGame => ({
  id,
  name: id.toUpperCase(),
  version,
  size: 10,
  files: 1,
});

Deno.test("a diff applied to the old snapshot gives the new one", () => {
  const from: LibrarySnapshot = { rev: 4, games: [game("a"), game("b"), game("c")] };
  const to: LibrarySnapshot = { rev: 7, games: [game("a"), game("c", "2"), game("d")] };
  const delta = diffSnapshots(from, to);
  assertEquals(delta.fromRev, 4);
  assertEquals(delta.toRev, 7);
  assertEquals(delta.added.map((g) => g.id), ["d"]);
  assertEquals(delta.updated.map((g) => [g.id, g.version]), [["c", "2"]]);
  assertEquals(delta.removed, ["b"]);
  assertEquals(applyDelta(from, delta), { kind: "applied", library: to });
});

Deno.test("a delta that skips a revision is a gap; an old one is stale", () => {
  const current: LibrarySnapshot = { rev: 5, games: [game("a")] };
  const base = { added: [], updated: [], removed: [] };
  assertEquals(applyDelta(current, { ...base, fromRev: 6, toRev: 7 }).kind, "gap");
  assertEquals(applyDelta(current, { ...base, fromRev: 3, toRev: 5 }).kind, "stale");
  assertEquals(applyDelta(current, { ...base, fromRev: 4, toRev: 6 }).kind, "gap");
  assertEquals(applyDelta(current, { ...base, fromRev: 5, toRev: 6 }).kind, "applied");
});

Deno.test("identical snapshots give an empty delta", () => {
  const snap: LibrarySnapshot = { rev: 1, games: [game("a")] };
  assertEquals(isEmptyDelta(diffSnapshots(snap, { ...snap, rev: 2 })), true);
});
