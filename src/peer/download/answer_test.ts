import { assertEquals } from "../../../tests/assert.ts";
import { sliceAnswer } from "./answer.ts";

Deno.test("an answer is split among the runs asked, each maybe cut short", () => {
  const asked = [{ path: "a", index: 0, count: 2 }, { path: "b", index: 4, count: 3 }];
  const slices = sliceAnswer(asked, [
    { path: "a", index: 0, count: 2, bytes: 4 },
    { path: "b", index: 4, count: 1, bytes: 6 },
  ], 10);
  assertEquals(slices, [{ count: 2, offset: 0, bytes: 4 }, { count: 1, offset: 4, bytes: 6 }]);
});

Deno.test("runs left out of a full answer are asked again: they get null", () => {
  const asked = [{ path: "a", index: 0, count: 1 }, { path: "b", index: 0, count: 1 }];
  const slices = sliceAnswer(asked, [{ path: "a", index: 0, count: 1, bytes: 10 }], 10);
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
  ], 10);
  assertEquals(strayed.map((s) => s?.bytes ?? null), [2, null, null]);
  const greedy = sliceAnswer(asked, [{ path: "a", index: 0, count: 2, bytes: 2 }], 10);
  assertEquals(greedy, [null, null, null], "more blocks than asked");
  const past = sliceAnswer(asked, [{ path: "a", index: 0, count: 1, bytes: 11 }], 10);
  assertEquals(past, [null, null, null], "bytes past the payload");
});
