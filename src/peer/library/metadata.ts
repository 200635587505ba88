/**
 * The two files of a game folder that carry meaning: `version.ini` (its
 * trimmed content is the version; present = downloaded) and the optional
 * `game.json` (display metadata). Both are written by people with text
 * editors, so they are read leniently: a bad field is dropped with a warning,
 * never the game.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { DisplayName, FreeText, LIMITS, Version } from "../../wire/protocol.ts";
import { wirePathError } from "./paths.ts";

export const VERSION_FILE = "version.ini";
export const META_FILE = "game.json";

/** Display metadata from game.json; every field optional. */
export interface GameMeta {
  name?: string;
  description?: string;
  genre?: string;
  players?: string;
  cover?: string;
}

/** Larger files are not version strings or metadata; refusing them bounds memory. */
const MAX_VERSION_BYTES = 4096;
const MAX_META_BYTES = 1024 * 1024;

// The rules of the wire (protocol.ts), so that we never offer what peers refuse.
const shortText = z.string().trim().pipe(DisplayName);
const FIELDS = {
  name: shortText,
  description: z.string().trim().min(1).pipe(FreeText),
  genre: shortText,
  // "2-8" or 4: people write both.
  players: z.union([z.string(), z.number()]).transform(String).pipe(shortText),
  cover: z.string().refine((p) => wirePathError(p) === null, "not an acceptable relative path"),
} as const;

/**
 * Reads a file of at most `max` bytes as UTF-8 (BOM dropped); null with a
 * warning otherwise. Never reads more than `max + 1` bytes: the file is
 * stat'ed first, and may still grow while it is read.
 */
async function readSmallText(
  path: string,
  label: string,
  max: number,
  warnings: string[],
): Promise<string | null> {
  try {
    using file = await Deno.open(path, { read: true });
    const tooLarge = () => (warnings.push(`${label} ignored: larger than ${max} bytes`), null);
    if ((await file.stat()).size > max) return tooLarge();
    const bytes = new Uint8Array(max + 1);
    let filled = 0;
    for (let n; filled < bytes.length && (n = await file.read(bytes.subarray(filled))) !== null;) {
      filled += n;
    }
    if (filled > max) return tooLarge();
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    return decoder.decode(bytes.subarray(0, filled));
  } catch (error) {
    const why = error instanceof TypeError ? "not UTF-8" : String((error as Error).message);
    warnings.push(`${label} ignored: ${why}`);
    return null;
  }
}

/** The version of a game folder, or null when version.ini is absent or invalid. */
export async function readVersionIni(
  dir: string,
  shared: ReadonlySet<string>,
  warnings: string[],
): Promise<string | null> {
  if (!shared.has(VERSION_FILE)) return null;
  const text = await readSmallText(
    join(dir, VERSION_FILE),
    VERSION_FILE,
    MAX_VERSION_BYTES,
    warnings,
  );
  if (text === null) return null;
  const version = text.trim();
  let problem: string | null = null;
  if (version === "") problem = "empty";
  else if (version.length > LIMITS.maxNameLength) problem = `longer than ${LIMITS.maxNameLength}`;
  else if (!Version.safeParse(version).success) {
    problem = "more than one line, control characters or bidi overrides";
  }
  if (problem) {
    warnings.push(`${VERSION_FILE} invalid (${problem}): game not offered`);
    return null;
  }
  return version;
}

/** Metadata from game.json; fields that fail validation are dropped with a warning. */
export async function readGameJson(
  dir: string,
  shared: ReadonlySet<string>,
  warnings: string[],
): Promise<GameMeta> {
  if (!shared.has(META_FILE)) return {};
  const text = await readSmallText(join(dir, META_FILE), META_FILE, MAX_META_BYTES, warnings);
  if (text === null) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    warnings.push(`${META_FILE} ignored: not valid JSON`);
    return {};
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    warnings.push(`${META_FILE} ignored: not a JSON object`);
    return {};
  }
  const record = raw as Record<string, unknown>;
  const meta: GameMeta = {};
  for (const [key, schema] of Object.entries(FIELDS) as [keyof GameMeta, z.ZodType][]) {
    if (!Object.hasOwn(record, key) || record[key] === null) continue;
    const result = schema.safeParse(record[key]);
    if (result.success) meta[key] = result.data as string;
    else warnings.push(`${META_FILE}: field '${key}' ignored: ${result.error.issues[0]?.message}`);
  }
  if (meta.cover !== undefined && !shared.has(meta.cover)) {
    warnings.push(`${META_FILE}: field 'cover' ignored: ${meta.cover} is not a shared file`);
    delete meta.cover;
  }
  return meta;
}
