import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  encodeTxt,
  HOST_TTL,
  hostName,
  instanceLabel,
  labelOf,
  MAX_TXT_BYTES,
  nextInstanceLabel,
  OTHER_TTL,
  ownRecords,
  parsePeerTxt,
  parseTxt,
  SERVICE_TYPE,
} from "./records.ts";
import { txt } from "./_test_utils.ts";

const ID = "abcdefghijklmnop";

Deno.test("our TXT record carries id, pv and rev and stays under 200 bytes", () => {
  const strings = encodeTxt({ peerId: ID, protocolVersion: 1, rev: Number.MAX_SAFE_INTEGER });
  assertEquals(strings.map((s) => new TextDecoder().decode(s)), [
    `id=${ID}`,
    "pv=1",
    `rev=${Number.MAX_SAFE_INTEGER}`,
  ]);
  assert(strings.reduce((n, s) => n + s.length + 1, 0) < MAX_TXT_BYTES);
  assertThrows(() => encodeTxt({ peerId: "x".repeat(200), protocolVersion: 1, rev: 0 }));
});

Deno.test("TXT keys are case-insensitive and only the first occurrence counts (RFC 6763 §6.4)", () => {
  const map = parseTxt(txt("ID=first", "id=second", "flag", "=novalue", "empty="));
  assertEquals([...map], [["id", "first"], ["flag", null], ["empty", ""]]);
});

Deno.test("a peer TXT record parses only with a valid peer id, version and revision", () => {
  assertEquals(parsePeerTxt(txt(`id=${ID}`, "pv=2", "rev=17")), {
    peerId: ID,
    protocolVersion: 2,
    rev: 17,
  });
  assertEquals(parsePeerTxt(txt("id=NOT-AN-ID", "pv=2", "rev=17")), null);
  assertEquals(parsePeerTxt(txt(`id=${ID}`, "pv=x", "rev=17")), null);
  assertEquals(parsePeerTxt(txt(`id=${ID}`, "pv=1")), null);
  assertEquals(parsePeerTxt(txt(`id=${ID}`, "pv=1", "rev=-1")), null);
});

Deno.test("a peer name becomes a valid instance label", () => {
  assertEquals(instanceLabel("Alice's PC"), "Alice's PC");
  assertEquals(instanceLabel("desk.lan"), "desk\u2024lan");
  assertEquals(instanceLabel("\u0007bell\n"), "bell");
  assertEquals(instanceLabel("   "), "lanspread");
  const long = instanceLabel("é".repeat(100));
  assertEquals(new TextEncoder().encode(long).length, 62);
});

Deno.test("a name conflict renames to name (2), then name (3), within 63 bytes", () => {
  assertEquals(nextInstanceLabel("alpha"), "alpha (2)");
  assertEquals(nextInstanceLabel("alpha (2)"), "alpha (3)");
  assertEquals(nextInstanceLabel("alpha (9)"), "alpha (10)");
  const renamed = nextInstanceLabel("x".repeat(63));
  assertEquals(renamed, "x".repeat(59) + " (2)");
});

Deno.test("instance labels come back out of full names, other services' names do not", () => {
  assertEquals(labelOf(`alpha (2).${SERVICE_TYPE}`), "alpha (2)");
  assertEquals(labelOf(`Alpha._LANSPREAD._udp.local.`), "Alpha");
  assertEquals(labelOf("alpha._http._tcp.local"), null);
  assertEquals(labelOf(SERVICE_TYPE), null);
});

Deno.test("our records use the RFC 6762 §10 TTLs, flush bits and this interface's address", () => {
  const r = ownRecords({
    label: "alpha",
    host: hostName(ID),
    port: 47800,
    txt: { peerId: ID, protocolVersion: 1, rev: 3 },
  }, "10.77.0.2");
  assertEquals([r.ptr.ttl, r.txt.ttl, r.srv.ttl, r.a.ttl], [
    OTHER_TTL,
    OTHER_TTL,
    HOST_TTL,
    HOST_TTL,
  ]);
  assertEquals([r.ptr.flush, r.enumeration.flush, r.srv.flush, r.txt.flush, r.a.flush], [
    false,
    false,
    true,
    true,
    true,
  ]);
  assertEquals(r.a.data, "10.77.0.2");
  assertEquals(r.srv.type === "SRV" && r.srv.data, {
    priority: 0,
    weight: 0,
    port: 47800,
    target: `lanspread-${ID}.local`,
  });
  assertEquals(hostName(ID, 2), `lanspread-${ID}-2.local`);
});
