import { assertEquals } from "../../tests/assert.ts";
import { setImmediate } from "node:timers";
import { eachLimited, Pacer, Slots } from "./async.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("more slots let waiters in at once; fewer take effect as holders give theirs back", async () => {
  const slots = new Slots(1);
  const first = await slots.take();
  let second: (() => void) | null = null;
  slots.take().then((give) => second = give);
  await tick();
  assertEquals(second, null, "waits for the one slot");
  slots.resize(2);
  await tick();
  assertEquals(typeof second, "function", "let in by the resize");
  slots.resize(1);
  first();
  let third: (() => void) | null = null;
  slots.take().then((give) => third = give);
  await tick();
  assertEquals(third, null, "one slot now, still held by the second");
  second!();
  await tick();
  assertEquals(typeof third, "function");
});

Deno.test("a paced loop of synchronous work lets a timer fire within its slice, and runs on in between", async () => {
  const pacer = new Pacer({ sliceMs: 5 });
  let fired = 0;
  const firedAt: number[] = [];
  const timer = setInterval(() => fired++, 1);
  const t0 = performance.now();
  let turns = 0;
  try {
    for (let i = 0; i < 40; i++) {
      const until = performance.now() + 1; // a 1 ms synchronous call
      while (performance.now() < until);
      const before = fired;
      await pacer.breathe();
      if (fired > before) firedAt.push(i);
      turns++;
    }
  } finally {
    clearInterval(timer);
  }
  assertEquals(turns, 40);
  const elapsed = performance.now() - t0;
  // 40 ms of work in slices of 5 ms: the interval ran several times, not once at the end.
  assertEquals(firedAt.length >= 4, true, `timer ran ${firedAt.length} times in ${elapsed} ms`);
  assertEquals(firedAt.length <= 20, true, `the loop turned the event loop at every call`);
});

Deno.test("a pacer resolves at once within its slice and after a turn of the event loop past it", async () => {
  let now = 0;
  const pacer = new Pacer({ sliceMs: 10, now: () => now });
  let turned = false;
  setImmediate(() => turned = true);
  now = 9;
  await pacer.breathe();
  assertEquals(turned, false, "no turn of the event loop inside the slice");
  now = 10;
  await pacer.breathe();
  assertEquals(turned, true, "the slice is used up: others ran");
  turned = false;
  setImmediate(() => turned = true);
  now = 19;
  await pacer.breathe();
  assertEquals(turned, false, "a new slice starts after the turn");
});

Deno.test("eachLimited runs at most `concurrency` calls at once, and none after the first failure", async () => {
  let running = 0;
  let most = 0;
  const seen: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], { concurrency: 3 }, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, n % 3));
    seen.push(n);
    running--;
  });
  assertEquals([most, seen.sort()], [3, [1, 2, 3, 4, 5, 6, 7]]);
  const started: number[] = [];
  const failed = await eachLimited([1, 2, 3, 4, 5], { concurrency: 2 }, async (n) => {
    started.push(n);
    await new Promise((r) => setTimeout(r, 1));
    if (n === 2) throw new Error("two");
  }).catch((e) => e);
  assertEquals((failed as Error).message, "two");
  assertEquals(started.includes(5), false, `started ${started}`);
});
