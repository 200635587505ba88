import { assertEquals } from "../../tests/assert.ts";
import { readLines, TOO_LONG_LINE } from "./lines.ts";

/** A byte stream of `pieces`, split wherever the test says (mid-line, mid-character). */
function streamOf(...pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(pieces.map((p) => typeof p === "string" ? enc.encode(p) : p));
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  maxBytes?: number,
  unterminated?: boolean,
) {
  const out: string[] = [];
  for await (const line of readLines(stream, { maxBytes, unterminated })) out.push(line);
  return out;
}

Deno.test("lines are split at LF across chunks and characters; the last needs no LF", async () => {
  const e = new TextEncoder().encode("é");
  const lines = await collect(streamOf("a\nb", "c\n\n", e.subarray(0, 1), e.subarray(1), "\nlast"));
  assertEquals(lines, ["a", "bc", "", "é", "last"]);
});

Deno.test("a line over the limit is yielded once as TOO_LONG_LINE and skipped to its end", async () => {
  const lines = await collect(streamOf("ok\n", "x".repeat(8), "x".repeat(8), "x\nnext\n"), 10);
  assertEquals(lines, ["ok", TOO_LONG_LINE, "next"]);
});

Deno.test("unterminated: false drops a last line without its LF (a writer killed mid-line)", async () => {
  assertEquals(await collect(streamOf("a\n", '{"half'), undefined, false), ["a"]);
  assertEquals(await collect(streamOf("a\nb\n"), undefined, false), ["a", "b"]);
});
