import { assertEquals } from "../../../tests/assert.ts";
import { silentLogger } from "../../common/log.ts";
import { type BadBlockReport, Rechecks } from "./rechecks.ts";

function rechecks(perInterval = 60) {
  let now = 0;
  const checked: string[] = [];
  const r = new Rechecks({
    log: silentLogger,
    intervalMs: 60_000,
    perInterval,
    now: () => now,
    check: (report) => {
      checked.push(`${report.reporter}:${report.path}:${report.index}`);
      return Promise.resolve();
    },
  });
  const report = (reporter: string, path: string, index = 0): BadBlockReport => ({
    game: "g",
    path,
    index,
    reporter,
  });
  return { r, checked, report, later: (ms: number) => (now += ms) };
}

Deno.test("a reporter has each file checked at most once a minute; others are not silenced", async () => {
  const { r, checked, report, later } = rechecks();
  assertEquals(r.report(report("mallory", "a.pak", 0)), "queued");
  assertEquals(r.report(report("mallory", "a.pak", 1)), "recent");
  assertEquals(r.report(report("alice", "a.pak", 1)), "queued", "another peer still gets a look");
  assertEquals(r.report(report("mallory", "b.pak")), "queued");
  later(60_001);
  assertEquals(r.report(report("mallory", "a.pak", 2)), "queued");
  await r.idle();
  assertEquals(checked, ["mallory:a.pak:0", "alice:a.pak:1", "mallory:b.pak:0", "mallory:a.pak:2"]);
});

Deno.test("no more than perInterval checks start in an interval, all reporters together", async () => {
  const { r, checked, report, later } = rechecks(3);
  const outcomes = ["a", "b", "c", "d"].map((p) => r.report(report("mallory", p)));
  assertEquals(outcomes, ["queued", "queued", "queued", "busy"]);
  assertEquals(r.report(report("alice", "e")), "busy");
  later(60_001);
  assertEquals(r.report(report("alice", "e")), "queued");
  await r.idle();
  assertEquals(checked.length, 4);
});

Deno.test("a check that throws is logged and does not stop the next one", async () => {
  const checked: number[] = [];
  const r = new Rechecks({
    log: silentLogger,
    check: (report) => {
      checked.push(report.index);
      return report.index === 0 ? Promise.reject(new Error("disk gone")) : Promise.resolve();
    },
  });
  r.report({ game: "g", path: "a", index: 0, reporter: "x" });
  r.report({ game: "g", path: "b", index: 1, reporter: "x" });
  await r.idle();
  assertEquals(checked, [0, 1]);
});
