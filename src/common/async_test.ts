import { assertEquals } from "../../tests/assert.ts";
import { Slots } from "./async.ts";

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
