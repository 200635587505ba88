import { assertEquals } from "../../../tests/assert.ts";
import { Liveness } from "./liveness.ts";

const options = { pingIdleMs: 1_000, timeoutMs: 3_000 };

Deno.test("a peer that keeps talking is never pinged", () => {
  const live = new Liveness(0, options);
  for (let t = 0; t <= 10_000; t += 500) {
    live.heard(t);
    assertEquals(live.tick(t + 100), "none");
  }
});

Deno.test("an idle peer is pinged once per idle interval, then declared dead", () => {
  const live = new Liveness(0, options);
  assertEquals(live.tick(999), "none");
  assertEquals(live.tick(1_000), "ping");
  assertEquals(live.tick(1_500), "none");
  assertEquals(live.tick(2_000), "ping");
  assertEquals(live.tick(2_999), "none");
  assertEquals(live.tick(3_000), "dead");
});

Deno.test("an answered ping resets the clock", () => {
  const live = new Liveness(0, options);
  assertEquals(live.tick(1_000), "ping");
  live.heard(1_050);
  assertEquals(live.tick(1_100), "none");
  assertEquals(live.tick(2_050), "ping");
  assertEquals(live.tick(3_000), "none");
  assertEquals(live.tick(3_050), "ping");
  assertEquals(live.tick(4_050), "dead");
});

Deno.test("ping round trips are smoothed as TCP smooths them: the first as is, then 1/8 of each new one", () => {
  const live = new Liveness(0, options);
  assertEquals(live.rttMs, null);
  live.answered(8);
  assertEquals(live.rttMs, 8);
  live.answered(16);
  assertEquals(live.rttMs, 9);
  live.answered(-3); // a clock step back is no negative time
  assertEquals(live.rttMs, 9 - 9 / 8);
});

Deno.test("the round trip is probed soon after connecting and then every probeEveryMs, busy or idle", () => {
  const live = new Liveness(0, { ...options, probeEveryMs: 5_000 });
  assertEquals(live.probe(999), false);
  assertEquals(live.probe(1_000), true, "pingIdleMs after connecting");
  assertEquals(live.probe(1_001), false);
  live.heard(5_000);
  assertEquals(live.probe(5_999), false);
  assertEquals(live.probe(6_000), true, "a busy peer too");
  assertEquals(live.tick(7_000), "ping", "an idle ping...");
  assertEquals(live.probe(11_999), false, "...counts as a probe");
  assertEquals(live.probe(12_000), true);
});
