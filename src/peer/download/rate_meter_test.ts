import { assertEquals } from "../../../tests/assert.ts";
import { RateMeter } from "./rate_meter.ts";

Deno.test("the rate follows the last seconds, so a stall shows at once", () => {
  const meter = new RateMeter(0, 0, 2_000);
  let rate = 0;
  for (let t = 500; t <= 4_000; t += 500) rate = meter.sample(t * 1_000, t); // 1 MB/s
  assertEquals(Math.round(rate / 1e5), 10);
  for (let t = 4_500; t <= 7_000; t += 500) rate = meter.sample(4_000_000, t);
  assertEquals(rate, 0);
});
