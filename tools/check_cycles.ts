/**
 * Fails when the module graph of `src/` (and `main.ts`) has an import cycle,
 * between files or between folders (ARCHITECTURE.md, "Layers"), or when
 * product code imports from `tests/`. Test files (`*_test.ts`) are left out
 * of the cycle check (nothing imports them); test helpers beside the code
 * (`_test_*.ts`) may use `tests/`, nothing else under `src/` may.
 *
 * It asks `deno info --json` for the graph, so type-only imports count too:
 * a cycle of types is still two files that cannot be understood apart.
 *
 * Usage: `deno run --allow-read --allow-run --allow-write tools/check_cycles.ts`
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every `.ts` file below `dir`, tests left out. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await sources(path));
    else if (/\.tsx?$/.test(entry.name) && !/_test\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The import edges between our own files, as paths relative to the repository. */
export async function importGraph(): Promise<Map<string, Set<string>>> {
  const files = [join(ROOT, "main.ts"), ...await sources(join(ROOT, "src"))];
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const lines = files.map((f) => `import ${JSON.stringify(pathToFileURL(f).href)};`);
    await Deno.writeTextFile(entry, lines.join("\n"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const ours = (specifier: string) => {
      if (!specifier.startsWith("file://")) return null;
      const path = fileURLToPath(specifier);
      return path === entry ? null : relative(ROOT, path);
    };
    const graph = new Map<string, Set<string>>();
    for (const module of info.modules) {
      const from = ours(module.specifier);
      if (!from || /_test\.tsx?$/.test(from)) continue;
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          const to = target ? ours(target) : null;
          if (to && to !== from && !to.endsWith(".d.ts")) edges.add(to);
        }
      }
    }
    return graph;
  } finally {
    await Deno.remove(entry);
  }
}

/** Strongly connected components with more than one member (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Imports of `tests/` by product code (`src/` or `main.ts`, not a `_test_*.ts` helper). */
export function testImports(graph: Map<string, Set<string>>): [string, string][] {
  const helper = (path: string) => /(^|\/)_test_[^/]*\.tsx?$/.test(path);
  const out: [string, string][] = [];
  for (const [from, edges] of graph) {
    if (helper(from) || from.startsWith("tests/")) continue;
    for (const to of edges) if (to.startsWith("tests/")) out.push([from, to]);
  }
  return out.sort();
}

/** The graph with each file replaced by its folder. */
export function folderGraph(graph: Map<string, Set<string>>): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [from, edges] of graph) {
    const a = dirname(from);
    const set = folders.get(a) ?? new Set<string>();
    folders.set(a, set);
    for (const to of edges) if (dirname(to) !== a) set.add(dirname(to));
  }
  return folders;
}

if (import.meta.main) {
  const graph = await importGraph();
  const files = cycles(graph);
  const folders = cycles(folderGraph(graph));
  const intoTests = testImports(graph);
  for (const c of files) console.error(`file cycle: ${c.join(" <-> ")}`);
  for (const c of folders) console.error(`folder cycle: ${c.join(" <-> ")}`);
  for (const [from, to] of intoTests) {
    console.error(`product code imports a test file: ${from} -> ${to}`);
  }
  if (files.length || folders.length || intoTests.length) {
    console.error(
      `${files.length} file cycle(s), ${folders.length} folder cycle(s), ` +
        `${intoTests.length} import(s) of tests/ from product code`,
    );
    Deno.exit(1);
  }
  console.log(`no import cycles among ${graph.size} files`);
}
