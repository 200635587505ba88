/**
 * Test helpers of the library: real game folders in temporary directories
 * (assertions come from tests/assert.ts).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Library } from "./library.ts";
import type { LibraryDelta } from "../../wire/library_schemas.ts";

import { assert } from "../../../tests/assert.ts";

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

/** Set in the child process that runs a {@linkcode modesTest} as root without DAC overrides. */
const MODES_HOLD = "LANSPREAD_TEST_MODES_HOLD";

/**
 * A test that needs file modes to hold (chmod 000 makes a file unreadable).
 * As a user it runs as it is. Root reads files whatever their mode, so as
 * root (CI runs as root) this test alone runs again, in a child `deno test`
 * of `testFile` without the two capabilities that override modes
 * (`setpriv`, util-linux), and passes when the child's run of it passed.
 * Without setpriv it is skipped, saying why.
 */
export function modesTest(
  name: string,
  testFile: string,
  fn: () => Promise<void>,
): Deno.TestDefinition {
  if (Deno.uid() !== 0 || Deno.env.get(MODES_HOLD)) return { name, fn };
  if (!hasSetpriv()) {
    console.error(
      `skipping "${name}": root reads files whatever their mode, and setpriv is missing`,
    );
    return { name, ignore: true, fn };
  }
  return {
    name: `${name} (as root without CAP_DAC_OVERRIDE)`,
    fn: async () => {
      const out = await new Deno.Command("setpriv", {
        args: [
          "--bounding-set=-dac_override,-dac_read_search",
          "--",
          Deno.execPath(),
          "test",
          "--allow-all",
          "--no-check",
          "--filter",
          name,
          fromFileUrl(testFile),
        ],
        env: { [MODES_HOLD]: "1", NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert(out.success, text);
      assert(/ok \| 1 passed/.test(text), `the child did not run exactly this test:\n${text}`);
    },
  };
}

function hasSetpriv(): boolean {
  try {
    return new Deno.Command("setpriv", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
}
