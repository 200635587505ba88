import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { type CliContext, type CliOptions, parseCli } from "./cli.ts";
import { DEFAULT_PORT } from "../wire/protocol.ts";

const ctx = (env: Record<string, string> = {}): CliContext => ({
  env: (name) => env[name],
  homeDir: "/opt/usb",
  hostname: "lanbox",
});

function run(args: string[], env: Record<string, string> = {}): CliOptions {
  const result = parseCli(args, ctx(env));
  if (result.kind !== "run") throw new Error(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

function error(args: string[]): string {
  const result = parseCli(args, ctx());
  if (result.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.message;
}

Deno.test("defaults are portable: folders beside the program, open party, default port", () => {
  const o = run([]);
  assertEquals(o.gamesDir, "/opt/usb/games");
  assertEquals(o.stateDir, "/opt/usb/state");
  assertEquals(o.port, DEFAULT_PORT);
  assertEquals(o.name, "lanbox");
  assertEquals(o.openParty, true);
  assertEquals([o.mdns, o.web, o.jsonl], [true, true, false]);
  assertEquals(o.connect, []);
});

Deno.test("flags beat the environment, the environment beats defaults", () => {
  const env = { LANSPREAD_PARTY_KEY: "env key", LANSPREAD_GAMES_DIR: "/env/games" };
  assertEquals(run([], env).partyKey, "env key");
  assertEquals(run([], env).openParty, false);
  assertEquals(run(["--party-key", "flag key"], env).partyKey, "flag key");
  assertEquals(run([], env).gamesDir, "/env/games");
  assertEquals(run(["--games-dir", "/flag/games"], env).gamesDir, "/flag/games");
});

Deno.test("every documented flag is accepted", () => {
  const o = run([
    "--games-dir=/g",
    "--state-dir=/s",
    "--name=Alpha",
    "--host=127.0.0.1",
    "--port=0",
    "--connect=127.0.0.1:1000",
    "--connect",
    "[::1]:2000",
    "--no-mdns",
    "--no-web",
    "--web-port=8080",
    "--jsonl",
    "--log-level=debug",
    "--upload-limit=12.5",
    "--download-limit",
    "100",
    "--uploads-per-peer=3",
  ]);
  assertEquals([o.uploadLimit, o.downloadLimit, o.uploadsPerPeer], [12.5, 100, 3]);
  assertEquals(o.connect, ["127.0.0.1:1000", "[::1]:2000"]);
  assertEquals([o.port, o.webPort, o.host, o.name], [0, 8080, "127.0.0.1", "Alpha"]);
  assertEquals([o.mdns, o.web, o.jsonl, o.logLevel], [false, false, true, "debug"]);
  assertEquals(parseCli(["--help"], ctx()).kind, "help");
  assertEquals(parseCli(["--version"], ctx()).kind, "version");
});

Deno.test("bad flags and values are one-line errors", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /bogus/],
    [["--port", "70000"], /--port/],
    [["--port", "-1"], /port/],
    [["--port", "12ab"], /--port/],
    [["--web-port", "65536"], /--web-port/],
    [["--web-host", "a b"], /--web-host/],
    [["--web-token", "short"], /--web-token/],
    [["--web-token", "has a space in it ok"], /--web-token/],
    [["--connect", "nohost"], /--connect/],
    [["--connect", "host:99999"], /--connect/],
    [["--log-level", "loud"], /--log-level/],
    [["--name", "   "], /--name/],
    [["--name", "x".repeat(65)], /--name/],
    [["--name", "a\u0007b"], /control/],
    [["--name", "a\u009bb"], /control/],
    [["--name", "a\u202eb"], /bidi/],
    [["--host", "a b"], /--host/],
    [["stray"], /stray|positional/i],
    [["--port"], /port/],
    [["--upload-limit", "0"], /--upload-limit/],
    [["--upload-limit", "fast"], /--upload-limit/],
    [["--download-limit", "-5"], /--download-limit/],
    [["--uploads-per-peer", "0"], /--uploads-per-peer/],
  ];
  for (const [args, pattern] of cases) {
    const message = error(args);
    assertMatch(message, pattern, args.join(" "));
    assertEquals(message.includes("\n"), false, `one line for ${args.join(" ")}`);
  }
});

Deno.test("the web page binds loopback by default, opens a browser, and takes a host, token and port", () => {
  const o = run([]);
  assertEquals([o.web, o.webHost, o.webPort, o.webToken, o.open], [
    true,
    "127.0.0.1",
    47880,
    null,
    true,
  ]);
  const lan = run(["--web-host=0.0.0.0", "--web-token=organiser-secret-1", "--no-open"]);
  assertEquals([lan.webHost, lan.webToken, lan.open], ["0.0.0.0", "organiser-secret-1", false]);
  assertEquals(run(["--web-port=0"]).webPort, 0, "0 picks a free port (tests)");
  assertEquals(
    run([], { LANSPREAD_WEB_TOKEN: "from-the-environment" }).webToken,
    "from-the-environment",
  );
  assertEquals(
    run(["--web-token=flag-token-123456"], { LANSPREAD_WEB_TOKEN: "from-the-environment" })
      .webToken,
    "flag-token-123456",
  );
});
