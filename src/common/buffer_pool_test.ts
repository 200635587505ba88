import { assert, assertEquals } from "../../tests/assert.ts";
import { BufferPool } from "./buffer_pool.ts";

Deno.test("a buffer given back is taken again for a payload of its size class", () => {
  const pool = new BufferPool();
  const big = pool.take(3 * 1024 * 1024);
  assertEquals(big.byteLength, 4 * 1024 * 1024);
  pool.give(big);
  assertEquals(pool.take(4 * 1024 * 1024), big);
  const small = pool.take(100);
  assertEquals(small.byteLength, 64 * 1024, "a small payload never holds a big buffer");
  pool.give(small);
  assertEquals(pool.take(64 * 1024), small);
});

Deno.test("odd sizes, oversized and detached buffers are never pooled", () => {
  const pool = new BufferPool();
  const huge = pool.take(20 * 1024 * 1024);
  assertEquals(huge.byteLength, 20 * 1024 * 1024);
  pool.give(huge);
  pool.give(new ArrayBuffer(1000));
  const moved = pool.take(1);
  moved.transfer();
  pool.give(moved);
  assertEquals(pool.idle, 0);
  for (let i = 0; i < 500; i++) pool.give(new ArrayBuffer(64 * 1024));
  assert(pool.idle <= 128, "idle buffers are bounded");
});
