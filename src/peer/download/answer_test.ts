import { assertEquals } from "../../../tests/assert.ts";
import { goodStretches, sliceAnswer } from "./answer.ts";

const bytes = Uint8Array.from({ length: 10 }, (_, i) => i);

Deno.test("an answer is split among the runs asked, each maybe cut short", () => {
  const asked = [{ path: "a", index: 0, count: 2 }, { path: "b", index: 4, count: 3 }];
  const slices = sliceAnswer(asked, [
    { path: "a", index: 0, count: 2, bytes: 4 },
    { path: "b", index: 4, count: 1, bytes: 6 },
  ], bytes);
  assertEquals(slices.map((s) => s && [s.count, [...s.bytes]]), [
    [2, [0, 1, 2, 3]],
    [1, [4, 5, 6, 7, 8, 9]],
  ]);
});

Deno.test("runs left out of a full answer are asked again: they get null", () => {
  const asked = [{ path: "a", index: 0, count: 1 }, { path: "b", index: 0, count: 1 }];
  const slices = sliceAnswer(asked, [{ path: "a", index: 0, count: 1, bytes: 10 }], bytes);
  assertEquals(slices.map((s) => s?.count ?? null), [1, null]);
});

Deno.test("from the first run a peer strays on, nothing is taken (no misaligned bytes)", () => {
  const asked = [
    { path: "a", index: 0, count: 1 },
    { path: "b", index: 0, count: 1 },
    { path: "c", index: 0, count: 1 },
  ];
  const strayed = sliceAnswer(asked, [
    { path: "a", index: 0, count: 1, bytes: 2 },
    { path: "x", index: 0, count: 1, bytes: 2 },
    { path: "c", index: 0, count: 1, bytes: 2 },
  ], bytes);
  assertEquals(strayed.map((s) => s?.bytes.length ?? null), [2, null, null]);
  const greedy = sliceAnswer(asked, [{ path: "a", index: 0, count: 2, bytes: 2 }], bytes);
  assertEquals(greedy, [null, null, null], "more blocks than asked");
  const past = sliceAnswer(asked, [{ path: "a", index: 0, count: 1, bytes: 11 }], bytes);
  assertEquals(past, [null, null, null], "bytes past the payload");
});

Deno.test("good stretches skip failed and already done blocks", () => {
  const ok = [true, true, false, true, true, true];
  assertEquals(goodStretches(ok, () => false), [[0, 2], [3, 6]]);
  assertEquals(goodStretches(ok, (i) => i === 4), [[0, 2], [3, 4], [5, 6]]);
  assertEquals(goodStretches([false], () => false), []);
});
