/**
 * lanspread: one peer of a LAN game-sharing party. See README.md.
 *
 * @module
 */
import denoJson from "./deno.json" with { type: "json" };
import { type CliOptions, homeDir, parseCli, USAGE } from "./src/peer/cli.ts";
import { createLogger, type Logger } from "./src/common/log.ts";
import { errorMessage } from "./src/common/errors.ts";
import { Runtime } from "./src/peer/runtime.ts";
import { type HarnessRecord, MAX_LINE_BYTES, runHarness } from "./src/peer/harness.ts";
import { readLines } from "./src/common/lines.ts";
import { browserCommand, openBrowser, startWebServer, type WebServer } from "./src/http/mod.ts";
import { isExtractWorker, runExtractWorker } from "./src/archive/mod.ts";

// A bundled or compiled program is its own extraction worker (src/archive/extract.ts).
if (isExtractWorker()) runExtractWorker();

const encoder = new TextEncoder();

function fail(message: string, code: number): never {
  Deno.stderr.writeSync(encoder.encode(`lanspread: ${message}\n`));
  Deno.exit(code);
}

/** Writes harness records in order without blocking the event loop; `flushed` waits for all. */
function stdoutWriter() {
  let chain = Promise.resolve();
  const writer = Deno.stdout.writable.getWriter();
  return {
    write: (record: HarnessRecord) => {
      const bytes = encoder.encode(JSON.stringify(record) + "\n");
      chain = chain.then(() => writer.write(bytes)).catch(() => {});
    },
    flushed: () => chain,
  };
}

/** Serves the web page on the runtime's API; it stops when the runtime does. */
async function serveWeb(runtime: Runtime, options: CliOptions, log: Logger): Promise<WebServer> {
  const stop = new AbortController();
  const server = await startWebServer({
    api: runtime.api,
    host: options.webHost,
    port: options.webPort,
    token: options.webToken,
    stateDir: options.stateDir,
    log: log.child("web"),
    signal: stop.signal,
  });
  runtime.attach("web", {
    run: async (signal) => {
      signal.addEventListener("abort", () => stop.abort(), { once: true });
      await server.finished;
    },
    status: () => server.info,
  });
  return server;
}

async function main(): Promise<number> {
  const cli = parseCli(Deno.args, {
    env: (name) => Deno.env.get(name),
    homeDir: homeDir(),
    hostname: Deno.hostname(),
  });
  if (cli.kind === "error") fail(`${cli.message} (see --help)`, 2);
  if (cli.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (cli.kind === "version") {
    console.log(`lanspread ${denoJson.version}`);
    return 0;
  }
  const options = cli.options;
  const log = createLogger({ level: options.logLevel });
  if (options.openParty) log.info("open party (no --party-key): every lanspread peer may join");
  // Test hook: lets the integration tests run a peer of another protocol version.
  const testVersion = Number(Deno.env.get("LANSPREAD_TEST_PROTOCOL_VERSION")) || undefined;
  // Test hook: a peer that kills itself (as kill -9 would) at a named point of an install.
  const crashAt = Deno.env.get("LANSPREAD_TEST_INSTALL_CRASH");
  let runtime: Runtime;
  try {
    runtime = await Runtime.start({
      ...options,
      log,
      protocolVersion: testVersion,
      installCheckpoint: crashAt
        ? (point) => {
          if (point === crashAt) Deno.kill(Deno.pid, "SIGKILL");
        }
        : undefined,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      fail(`UDP port ${options.port} is in use; choose another with --port`, 1);
    }
    fail(`cannot start: ${errorMessage(error)}`, 1);
  }
  const stop = () => runtime.stop();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // SIGTERM does not exist on Windows.
    }
  }
  let web: WebServer | null = null;
  if (options.web) {
    try {
      web = await serveWeb(runtime, options, log);
    } catch (error) {
      await runtime.stop();
      fail(errorMessage(error), 1);
    }
    // A player who double-clicked the program expects the page to open.
    const command = browserCommand(Deno.build.os, (name) => Deno.env.get(name), web.info.url);
    if (command && options.open && !options.jsonl) openBrowser(command, log);
  }
  const out = stdoutWriter();
  if (options.jsonl) {
    runHarness({
      api: runtime.api,
      stop: stop,
      lines: readLines(Deno.stdin.readable, { maxBytes: MAX_LINE_BYTES }),
      write: out.write,
      log,
    })
      .catch((error) => log.error(`harness: ${errorMessage(error)}`));
  }
  const { failed } = await runtime.finished;
  await web?.finished;
  // Deno.exit drops unwritten output: the last answer (shutdown's) must reach the driver.
  await out.flushed();
  return failed ? 1 : 0;
}

if (import.meta.main && !isExtractWorker()) Deno.exit(await main());
