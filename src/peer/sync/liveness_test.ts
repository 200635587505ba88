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
