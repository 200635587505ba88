/**
 * The program as a user meets it: flags, exit codes, the harness's answers
 * to bad input, and a games folder that cannot be used.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "./assert.ts";
import { tempTree } from "./fixtures.ts";
import { HarnessError, PeerProcess, ROOT } from "./peer_process.ts";

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "-A", join(ROOT, "main.ts"), ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("a bad flag is one line on stderr and exit code 2, never a stack trace", async () => {
  for (const args of [["--bogus"], ["--port", "99999"], ["--connect", "nowhere"], ["extra"]]) {
    const { code, stdout, stderr } = await runMain(args);
    assertEquals(code, 2, args.join(" "));
    assertEquals(stdout, "");
    assertEquals(stderr.trim().split("\n").length, 1, stderr);
    assertMatch(stderr, /^lanspread: .*\(see --help\)\n$/);
  }
});

Deno.test("--help and --version exit 0", async () => {
  const help = await runMain(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /--party-key/);
  const version = await runMain(["--version"]);
  assertEquals(version.code, 0);
  assertMatch(version.stdout, /^lanspread \d+\.\d+\.\d+/);
});

Deno.test({
  name: "the harness answers bad lines with errors and keeps running",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peer = await PeerProcess.start({
      name: "solo",
      gamesDir: t.path("does", "not", "exist", "yet"),
      stateDir: t.path("state"),
    });
    try {
      const errors = () => peer.records.filter((r) => r.type === "error");
      await peer.send("this is not json");
      await peer.send('{"cmd":"fly-to-moon","id":7}');
      await peer.send('{"cmd":"wait-peers","id":8,"count":"two"}');
      await peer.send("[1,2,3]");
      await peer.send('{"cmd":"connect","id":9}');
      await peer.send("x".repeat(2 * 1024 * 1024));
      await peer.until(() => errors().length >= 6 ? true : undefined, 5_000, "six errors");
      const [notJson, unknown, badField, array, missing, tooLong] = errors();
      assertEquals(notJson!.code, "bad-request");
      assertEquals([unknown!.id, unknown!.cmd, unknown!.code], [7, "fly-to-moon", "bad-request"]);
      assertMatch(String(unknown!.message), /unknown command/);
      assertEquals([badField!.id, badField!.code], [8, "bad-request"]);
      assertMatch(String(badField!.message), /count/);
      assertEquals(array!.code, "bad-request");
      assertMatch(String(missing!.message), /addr/);
      assertMatch(String(tooLong!.message), /longer than/);
      // A command that cannot be carried out answers with its reason.
      const refusal = await assertRejects(
        () => peer.command("install", { game: "Quake" }),
        HarnessError,
      );
      assertEquals(refusal.record.code, "not-downloaded");
      // Still alive and well; the missing games folder was created.
      const status = await peer.command("status");
      assertEquals(status.peerId, peer.peerId);
      assertEquals(status.gamesDir, t.path("does", "not", "exist", "yet"));
      assert((await Deno.stat(t.path("does", "not", "exist", "yet"))).isDirectory);
      assertEquals((await peer.shutdown()).code, 0);
    } finally {
      await peer.shutdown();
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "a games folder that cannot be read is an error in status, not a crash",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    await Deno.writeTextFile(t.path("not-a-dir"), "a file where the games folder should be");
    const peer = await PeerProcess.start({
      name: "solo",
      gamesDir: t.path("not-a-dir"),
      stateDir: t.path("state"),
    });
    try {
      const status = await peer.command("status");
      const library = status.library as { lastError: string | null };
      assert(library.lastError, JSON.stringify(status));
      assertMatch(library.lastError!, /not-a-dir/);
      assertEquals(await peer.games(), []);
      // Switching to a usable folder recovers without a restart.
      await peer.command("set-game-dir", { path: t.path("good") });
      const after = await peer.command("status");
      assertEquals((after.library as { lastError: string | null }).lastError, null);
    } finally {
      await peer.shutdown();
      await t.cleanup();
    }
  },
});
