/**
 * Test helpers of the library: real game folders in temporary directories
 * (assertions come from tests/assert.ts).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Library } from "./library.ts";
import type { LibraryDelta } from "../../wire/library_schemas.ts";

export { assert, assertEquals, assertRejects } from "../../../tests/assert.ts";

/** A fresh temporary folder, removed by `[Symbol.asyncDispose]`. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "lanspread-library-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

export type Content = string | Uint8Array;

/** Writes `files` (relative POSIX path → content) below `dir`, creating folders. */
export async function writeFiles(dir: string, files: Record<string, Content>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, ...rel.split("/"));
    await Deno.mkdir(dirname(path), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
}

/** Bytes whose every position differs from its neighbours, so misplaced reads show. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records every delta a library announces. */
export function recordDeltas(library: Library): { deltas: LibraryDelta[]; stop: () => void } {
  const deltas: LibraryDelta[] = [];
  const stop = library.onChange((delta) => deltas.push(delta));
  return { deltas, stop: () => void stop() };
}

/**
 * True (and says why on stderr) when running as root, where chmod cannot
 * make a file unreadable: such a test cannot be honest there, so it is
 * skipped with a reason instead of passing without testing anything.
 */
export function skipAsRoot(what: string): boolean {
  if (Deno.uid() !== 0) return false;
  console.error(`skipping "${what}" test: root reads files whatever their mode; run as a user`);
  return true;
}
