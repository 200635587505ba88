import { assertEquals } from "../../tests/assert.ts";
import { EventLog } from "../common/events.ts";
import { silentLogger } from "../common/log.ts";
import { Supervisor } from "./supervisor.ts";

Deno.test("a restarted service runs again at once, and that is no failure", async () => {
  const events = new EventLog();
  const supervisor = new Supervisor({ events, log: silentLogger, onFatal: () => {} });
  const stop = new AbortController();
  let runs = 0;
  supervisor.start("svc", { kind: "restart", delayMs: 60_000 }, stop.signal, (signal) => {
    runs++;
    return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
  });
  await new Promise((r) => setTimeout(r, 10));
  supervisor.restart("svc");
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(runs, 2, "started again without the 60 s restart delay");
  assertEquals(supervisor.status().svc?.state, "running");
  assertEquals(supervisor.status().svc?.lastError, null);
  assertEquals(events.since(0).filter((e) => e.event === "service-error"), []);
  stop.abort();
  await supervisor.settled();
  assertEquals(supervisor.status().svc?.state, "stopped");
});
