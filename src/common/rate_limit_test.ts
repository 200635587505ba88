import { assertEquals } from "../../tests/assert.ts";
import { TokenBucket } from "./rate_limit.ts";

Deno.test("a token bucket lets a burst through, then paces to its rate", () => {
  const bucket = new TokenBucket({ bytesPerSecond: 1000, burstBytes: 500 }, 0);
  assertEquals(bucket.reserve(500, 0), 0);
  assertEquals(bucket.reserve(100, 0), 100);
  assertEquals(bucket.reserve(100, 0), 200);
  // After the debt is paid back, and half a second of credit more:
  assertEquals(bucket.reserve(300, 700), 0);
});

Deno.test("a paced stream averages the configured rate", () => {
  const bucket = new TokenBucket({ bytesPerSecond: 10_000_000 }, 0);
  let now = 0;
  for (let i = 0; i < 1_000; i++) now += bucket.reserve(1_048_576, now);
  const bytes = 1_000 * 1_048_576;
  const rate = (bytes - 10_000_000) / (now / 1000); // minus the initial burst
  assertEquals(Math.round(rate / 1e5), 100);
});
