/**
 * Reading a JSON request body: bounded before it is buffered, parsed, and
 * validated by a zod schema, each failure a `{code, message}` the caller can
 * act on. An empty body counts as `{}` (actions without fields).
 *
 * @module
 */
import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./status.ts";

/** Largest accepted request body; the biggest real one (settings) is a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

async function readBounded(c: Context, max: number): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > max) throw tooLarge(max);
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    // A body without a (truthful) length must not be buffered past the limit either.
    if (total > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "bad-request", "the body is not UTF-8");
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, "too-large", `the body is larger than ${max} bytes`);
}

/** The body parsed as JSON and checked by `schema`. */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  max = MAX_BODY_BYTES,
): Promise<z.infer<S>> {
  const text = await readBounded(c, max);
  let raw: unknown = {};
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HttpError(400, "bad-request", "the body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw new HttpError(400, "bad-request", `bad body: ${where}${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
