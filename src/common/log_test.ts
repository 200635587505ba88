import { assert, assertEquals } from "../../tests/assert.ts";
import { createLogger, escapeControls } from "./log.ts";

function captured() {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: (line) => lines.push(line) });
  return { lines, log };
}

Deno.test("a hostile peer name cannot forge a log line, clear the screen or set the title", () => {
  const { lines, log } = captured();
  const name = "evil\nINFO fake line\r\x1b[2J\x1b]0;pwned\x07\u009b31m";
  log.child(`peer ${name}`).warn(`connected to ${name}`);
  assertEquals(lines.length, 1);
  const line = lines[0]!;
  // deno-lint-ignore no-control-regex
  assert(!/[\u0000-\u001f\u007f-\u009f]/.test(line), JSON.stringify(line));
  assert(
    line.includes("evil\\x0aINFO fake line\\x0d\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m"),
    line,
  );
});

Deno.test("bidi overrides and isolates are shown as escapes; other text is kept", () => {
  assertEquals(
    escapeControls("a\u202eb\u202ac\u2066d\u2069e\u200ff"),
    "a\\u202eb\\u202ac\\u2066d\\u2069e\u200ff",
  );
  assertEquals(escapeControls("ゲーム C:\\games tab"), "ゲーム C:\\games tab");
  assertEquals(escapeControls("\x7f\x00"), "\\x7f\\x00");
});
