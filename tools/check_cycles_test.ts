import { assertEquals } from "../tests/assert.ts";
import { cycles, folderGraph, testImports } from "./check_cycles.ts";

const graph = (edges: [string, string][]) => {
  const g = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    g.set(a, (g.get(a) ?? new Set()).add(b));
    if (!g.has(b)) g.set(b, new Set());
  }
  return g;
};

Deno.test("a loop of files is one cycle; a chain is none", () => {
  const g = graph([["src/a.ts", "src/b.ts"], ["src/b.ts", "src/c.ts"], ["src/c.ts", "src/a.ts"]]);
  assertEquals(cycles(g), [["src/a.ts", "src/b.ts", "src/c.ts"]]);
  assertEquals(cycles(graph([["src/a.ts", "src/b.ts"], ["src/b.ts", "src/c.ts"]])), []);
});

Deno.test("files importing each other across folders make a folder cycle", () => {
  const g = graph([["src/x/a.ts", "src/y/b.ts"], ["src/y/c.ts", "src/x/d.ts"]]);
  assertEquals(cycles(g), []);
  assertEquals(cycles(folderGraph(g)), [["src/x", "src/y"]]);
});

Deno.test("product code may not import tests/; test helpers may", () => {
  const g = graph([
    ["src/peer/a.ts", "tests/assert.ts"],
    ["src/peer/_test_util.ts", "tests/assert.ts"],
    ["tests/x.ts", "tests/assert.ts"],
  ]);
  assertEquals(testImports(g), [["src/peer/a.ts", "tests/assert.ts"]]);
});
