/**
 * The proof that the shipped program is self-contained: `deno bundle` makes
 * one JS file that runs from an empty folder with nothing beside it (what
 * `deno compile` turns into the released binaries, see release.yml).
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { ROOT } from "./peer_process.ts";

const decoder = new TextDecoder();

Deno.test("the bundle runs from an empty folder: version, a peer that answers and shuts down, then installs a RAR game", async () => {
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

    // The portable games folder gets a solid multi-volume RAR 5 game; the bundle installs it.
    const game = join(empty, "games", "Solid");
    await Deno.mkdir(game, { recursive: true });
    await Deno.writeTextFile(join(game, "version.ini"), "1");
    for (const n of ["01", "02", "03", "04"]) {
      const name = `test_read_format_rar5_multiarchive_solid.part${n}.rar`;
      await Deno.copyFile(join(ROOT, "tests/fixtures/rar", name), join(game, name));
    }
    const installer = new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "--unstable-net", "--unstable-raw-imports", "-A", "lanspread.js", "--jsonl"],
        ...["--no-mdns", "--no-web", "--host=127.0.0.1", "--port=0"],
      ],
      cwd: empty,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    const input = installer.stdin.getWriter();
    await input.write(new TextEncoder().encode('{"cmd":"install","id":1,"game":"Solid"}\n'));
    let text = "";
    let installed: Record<string, unknown> | undefined;
    for await (const chunk of installer.stdout) {
      text += decoder.decode(chunk, { stream: true });
      installed = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
        .find((r) => r.id === 1);
      if (installed) break;
    }
    await input.write(new TextEncoder().encode('{"cmd":"shutdown","id":2}\n'));
    await input.close();
    assertEquals((await installer.status).code, 0);
    assertEquals([installed?.type, installed?.files], ["result", 9], JSON.stringify(installed));
    assertEquals(Deno.statSync(join(game, "local", "elf-Linux-ARMv7-ls")).size, 90808);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
