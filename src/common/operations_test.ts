import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { CommandError } from "./errors.ts";
import { EventLog } from "./events.ts";
import { Operations } from "./operations.ts";

Deno.test("a second operation on a busy game gets busy naming the running one", () => {
  const ops = new Operations();
  const claim = ops.claim("Doom", "download");
  const error = assertThrows(() => ops.claim("Doom", "uninstall"), CommandError);
  assertEquals(error.code, "busy");
  assertEquals(error.message.includes("a download is running"), true, error.message);
  ops.claim("Quake", "install").release();
  claim.release();
  ops.claim("Doom", "remove").release();
});

Deno.test("every start, hand-over and end is one operation-changed event", () => {
  const events = new EventLog();
  const ops = new Operations(events);
  const claim = ops.claim("Doom", "download");
  claim.switchTo("install");
  assertEquals(ops.current("Doom"), "install");
  assertEquals(ops.running(), [{ game: "Doom", operation: "install" }]);
  claim.release();
  claim.release(); // idempotent
  claim.switchTo("update"); // a released claim changes nothing
  assertEquals(ops.current("Doom"), null);
  assertEquals(
    events.since(0).map((e) => e.data),
    [
      { game: "Doom", operation: "download" },
      { game: "Doom", operation: "install" },
      { game: "Doom", operation: null },
    ],
  );
});

Deno.test("a stale claim cannot release the game's next operation", () => {
  const ops = new Operations();
  const first = ops.claim("Doom", "install");
  first.release();
  ops.claim("Doom", "uninstall");
  first.release();
  assertEquals(ops.current("Doom"), "uninstall");
});

Deno.test("onBusy hears the first operation start and the last one end, hand-overs aside", () => {
  const heard: boolean[] = [];
  const ops = new Operations(null, { onBusy: (busy) => heard.push(busy) });
  const doom = ops.claim("Doom", "download");
  const quake = ops.claim("Quake", "install");
  doom.switchTo("install");
  doom.release();
  assertEquals(heard, [true], "Quake still runs");
  quake.release();
  quake.release();
  assertEquals(heard, [true, false]);
  ops.claim("Doom", "remove").release();
  assertEquals(heard, [true, false, true, false]);
});
