/**
 * Helpers of the archive tests: temporary game folders, trees read back
 * with their hashes, and the libarchive RAR fixtures.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** tests/fixtures/rar (libarchive's test archives, see its NOTICE). */
export const RAR_FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../tests/fixtures/rar",
);

/** A temporary folder with `game/` and `dest/` inside, removed by `using`. */
export function tempGame(): { root: string; game: string; dest: string; [Symbol.dispose](): void } {
  const root = Deno.makeTempDirSync({ prefix: "lanspread-archive-" });
  const game = join(root, "game");
  const dest = join(root, "dest");
  Deno.mkdirSync(game);
  Deno.mkdirSync(dest);
  return { root, game, dest, [Symbol.dispose]: () => Deno.removeSync(root, { recursive: true }) };
}

/** Every path under `dir` (relative, `/`), with the SHA-256 of files, `->target` of links, `/` for folders. */
export function readTree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of Deno.readDirSync(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const abs = join(dir, rel);
    if (entry.isSymlink) out[rel] = `->${Deno.readLinkSync(abs)}`;
    else if (entry.isDirectory) {
      out[rel] = "/";
      Object.assign(out, readTree(dir, rel));
    } else out[rel] = createHash("sha256").update(Deno.readFileSync(abs)).digest("hex");
  }
  return out;
}

/** SHA-256 of bytes as hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Copies RAR fixtures into `dir` (under new names when given as [from, to]). */
export function copyRar(dir: string, ...names: (string | [string, string])[]): void {
  for (const name of names) {
    const [from, to] = typeof name === "string" ? [name, name] : name;
    Deno.copyFileSync(join(RAR_FIXTURES, from), join(dir, to));
    Deno.chmodSync(join(dir, to), 0o644);
  }
}

/** Whether a Debian tool is on PATH; prints why a test is skipped when not. */
export function hasTool(tool: string, test: string): boolean {
  try {
    new Deno.Command(tool, { args: ["--help"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    console.error(`skipping "${test}": ${tool} is not installed (apt-get install it; CI does)`);
    return false;
  }
}
