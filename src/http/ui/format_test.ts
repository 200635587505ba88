import { assertEquals, assertMatch } from "../../../tests/assert.ts";
import CLIENT_JS from "../assets/client.js" with { type: "text" };
import { formatBytes, formatEta, formatSpeed, percent } from "./format.ts";

Deno.test("sizes, speeds and times left read like a person writes them", () => {
  assertEquals(formatBytes(512), "512 B");
  assertEquals(formatBytes(1_234_567), "1.23 MB");
  assertEquals(formatBytes(12_345_678_901), "12.3 GB");
  assertEquals(formatSpeed(250_000), "250 KB/s");
  assertEquals(formatEta(45), "45 s");
  assertEquals(formatEta(200), "3 min 20 s");
  assertEquals(formatEta(3725), "1 h 02 min");
  assertEquals(formatEta(null), "unknown");
  assertEquals(percent(1, 3), 33.3);
  assertEquals(percent(5, 0), 0);
});

Deno.test("the client module formats live updates with the same rules as the server", async () => {
  // The client is plain JS with browser globals; load only its formatting functions.
  const start = CLIENT_JS.indexOf("const UNITS");
  const end = CLIENT_JS.indexOf("// --- Announcements");
  assertMatch(CLIENT_JS.slice(start, end), /function formatBytes/);
  const source = CLIENT_JS.slice(start, end) + "\nexport { formatBytes, formatEta, percent };";
  const url = `data:text/javascript;base64,${btoa(source)}`;
  const client = await import(url);
  for (const n of [0, 999, 1000, 1_234_567, 98_765_432_109]) {
    assertEquals(client.formatBytes(n), formatBytes(n), String(n));
  }
  for (const s of [null, 0, 59.6, 61, 3599, 3600, 86_399]) {
    assertEquals(client.formatEta(s), formatEta(s), String(s));
  }
  assertEquals(client.percent(2, 3), percent(2, 3));
});
