import { assert, assertEquals } from "../../../tests/assert.ts";
import type { LibrarySnapshot, WireGame } from "../../wire/library_schemas.ts";
import { deltaBytes, PageCollector, pageOf } from "./pages.ts";
import { diffSnapshots } from "./delta.ts";

const encoded = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

function library(count: number, description: string): LibrarySnapshot {
  const games: WireGame[] = Array.from({ length: count }, (_, i) => ({
    id: `g${String(i).padStart(4, "0")}`,
    name: `ゲーム ${i}`,
    version: "1.0",
    size: i,
    files: 1,
    description,
  }));
  return { rev: 7, games };
}

Deno.test("pages stay within their byte bound and together carry every game once", () => {
  const snapshot = library(300, "説明".repeat(1000));
  const maxBytes = 64 * 1024;
  const collector = new PageCollector(pageOf(snapshot, 0, maxBytes));
  let pages = 1;
  while (!collector.complete) {
    const page = pageOf(snapshot, collector.next, maxBytes);
    assert(encoded(page.games) <= maxBytes, `page at ${page.offset}: ${encoded(page.games)}`);
    assert(collector.add(page));
    pages++;
  }
  assertEquals(collector.result(), { library: snapshot, note: null });
  assert(pages >= 20, `${pages} pages`); // about 6 KiB a game, 64 KiB a page
});

Deno.test("a game larger than a page still travels, alone", () => {
  const snapshot = library(3, "x".repeat(4000));
  const page = pageOf(snapshot, 1, 100);
  assertEquals(page.games.map((g) => g.id), ["g0001"]);
  assertEquals([page.rev, page.total, page.offset], [7, 3, 1]);
});

Deno.test("deltaBytes bounds the encoded size of a delta from above", () => {
  const from = library(50, "あ".repeat(300));
  const to = { rev: 9, games: [...library(80, "い".repeat(500)).games.slice(20)] };
  const delta = diffSnapshots(from, to);
  const bytes = encoded({ type: "library-delta", delta });
  assert(deltaBytes(delta) >= bytes, `${deltaBytes(delta)} < ${bytes}`);
  assert(deltaBytes(delta) < bytes * 1.1, "and not by much");
});

Deno.test("a page out of order is not taken", () => {
  const snapshot = library(10, "d");
  const collector = new PageCollector(pageOf(snapshot, 0, 300));
  assert(!collector.add(pageOf(snapshot, collector.next + 1, 300)));
  assert(!collector.add({ ...pageOf(snapshot, collector.next, 300), rev: 8 }));
});
