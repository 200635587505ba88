/**
 * Lines of a UTF-8 byte stream: split at LF, the last one yielded even
 * without its LF (unless told not to). A line longer than `maxBytes` is
 * never buffered whole: it is yielded as {@linkcode TOO_LONG_LINE} once and
 * skipped to its end (the JSONL harness refuses it as one bad command).
 *
 * @module
 */

/** What {@linkcode readLines} yields in place of a line over the limit. */
export const TOO_LONG_LINE = "\u0000too long";

/** Options for {@linkcode readLines}. */
export interface ReadLinesOptions {
  /** Longest line kept (in UTF-16 units of the decoded text). @default {Infinity} */
  maxBytes?: number;
  /**
   * Whether a last line without its LF is yielded. A reader of records
   * says false: a writer killed mid-line leaves half a record, not a line.
   * @default {true}
   */
  unterminated?: boolean;
}

/** Splits a text stream into lines, refusing (as one {@linkcode TOO_LONG_LINE}) any over the limit. */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: ReadLinesOptions = {},
): AsyncGenerator<string> {
  const maxBytes = options.maxBytes ?? Infinity;
  const decoder = new TextDecoder();
  let buffer = "";
  let skipping = false;
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (skipping) skipping = false;
      else yield line;
    }
    if (buffer.length > maxBytes) {
      // A line that never ends must not eat memory: refuse it, skip to its end.
      if (!skipping) yield TOO_LONG_LINE;
      skipping = true;
      buffer = "";
    }
  }
  if (buffer && !skipping && (options.unterminated ?? true)) yield buffer;
}
