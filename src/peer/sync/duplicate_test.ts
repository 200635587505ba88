import { assertEquals } from "../../../tests/assert.ts";
import { type Initiator, keepNewConnection } from "./duplicate.ts";

const flip = (i: Initiator): Initiator => i === "local" ? "remote" : "local";

Deno.test("both ends of a pair keep the same connection of two, whoever dialled first", () => {
  const a = "aaaaaaaaaaaaaaaa";
  const b = "bbbbbbbbbbbbbbbb";
  for (const held of ["local", "remote"] as const) {
    for (const fresh of ["local", "remote"] as const) {
      // The same two connections seen from a and from b: initiators are mirrored.
      const aKeepsNew = keepNewConnection({ localId: a, remoteId: b }, held, fresh);
      const bKeepsNew = keepNewConnection({ localId: b, remoteId: a }, flip(held), flip(fresh));
      assertEquals(aKeepsNew, bKeepsNew, `held by ${held}, new by ${fresh}`);
    }
  }
});

Deno.test("the connection the smaller id opened wins; between two of one opener, the newer", () => {
  const ids = { localId: "aaaaaaaaaaaaaaaa", remoteId: "bbbbbbbbbbbbbbbb" };
  assertEquals(keepNewConnection(ids, "remote", "local"), true, "ours (smaller) replaces theirs");
  assertEquals(keepNewConnection(ids, "local", "remote"), false, "theirs never replaces ours");
  assertEquals(keepNewConnection(ids, "local", "local"), true, "a newer of ours: a restart");
  assertEquals(keepNewConnection(ids, "remote", "remote"), true, "a newer of theirs");
});
