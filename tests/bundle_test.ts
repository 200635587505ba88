/**
 * The proof that the shipped program is self-contained: `deno bundle` makes
 * one JS file that runs from an empty folder with nothing beside it (what
 * `deno compile` turns into the released binaries, see release.yml).
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { ROOT } from "./peer_process.ts";

const decoder = new TextDecoder();

Deno.test("the bundle runs from an empty folder: version, then a peer that answers and shuts down", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "lanspread.js");
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--unstable-net",
        "--unstable-raw-imports",
        "--output",
        out,
        join(ROOT, "main.ts"),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(bundled.code, 0, decoder.decode(bundled.stderr));
    const empty = join(dir, "run");
    await Deno.mkdir(empty);
    await Deno.rename(out, join(empty, "lanspread.js"));
    const run = (args: string[], input = "") => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--unstable-net", "--unstable-raw-imports", "-A", "lanspread.js", ...args],
        cwd: empty,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const writer = child.stdin.getWriter();
      writer.write(new TextEncoder().encode(input)).then(() => writer.close());
      return child.output();
    };
    const version = await run(["--version"]);
    assertMatch(decoder.decode(version.stdout), /^lanspread \d+\.\d+\.\d+/);
    const commands = '{"cmd":"status","id":1}\n{"cmd":"shutdown","id":2}\n';
    const peer = await run(
      ["--jsonl", "--no-mdns", "--no-web", "--host=127.0.0.1", "--port=0"],
      commands,
    );
    assertEquals(peer.code, 0, decoder.decode(peer.stderr));
    const records = decoder.decode(peer.stdout).trim().split("\n").map((l) => JSON.parse(l));
    const status = records.find((r) => r.id === 1);
    assertEquals(status?.type, "result");
    assertEquals(status?.gamesDir, join(empty, "games"), "portable: folders beside the program");
    assertEquals(records.at(-1)?.id, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
