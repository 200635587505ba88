/**
 * Tar archives, plain or gzipped (POSIX ustar and pax, IEEE 1003.1-2017;
 * GNU long names and base-256 sizes; v7). A push parser: bytes go in as
 * they are read or decompressed, entries and their contents come out, so
 * nothing is held beyond one header.
 *
 * @module
 */
import { ArchiveError } from "./errors.ts";
import { fileChunks, gunzipper, isZlibError, pump } from "./_stream.ts";
import { parseOctal, tarChecksum } from "./sniff.ts";
import type { EntrySink, FileSink, Meter, RawEntry } from "./types.ts";

const BLOCK = 512;
const decoder = new TextDecoder();

function corrupt(archive: string, why: string, entry?: string): ArchiveError {
  return new ArchiveError("corrupt-archive", `${archive}: ${why}`, archive, entry);
}

function text(field: Uint8Array): string {
  const zero = field.indexOf(0);
  return decoder.decode(zero >= 0 ? field.subarray(0, zero) : field);
}

/** A size field: octal, or GNU base-256 (high bit set) for sizes past 8 GiB. */
function parseSize(field: Uint8Array): number | null {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  return parseOctal(field) ?? (field.every((b) => b === 0 || b === 0x20) ? 0 : null);
}

/** pax extended header records: `"<length> <key>=<value>\n"` each. */
function parsePax(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const length = Number(decoder.decode(bytes.subarray(at, space)));
    if (space < 0 || !Number.isInteger(length) || length <= 0) break;
    const record = decoder.decode(bytes.subarray(space + 1, at + length - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}

/** Longest pax or GNU long-name payload accepted (names are capped far lower anyway). */
const MAX_META = 1024 * 1024;

/**
 * Parses a tar stream fed in chunks. Each entry goes to `begin`; the
 * content of a file entry goes to the sink `begin` returns (or is skipped).
 */
export class TarParser {
  #header = new Uint8Array(BLOCK);
  #filled = 0;
  /** Content bytes of the current entry still to come, and padding after them. */
  #left = 0;
  #padding = 0;
  #out: FileSink | null = null;
  /** A pax or GNU long-name payload being collected. */
  #meta: { type: number; parts: Uint8Array[]; size: number } | null = null;
  #pax = new Map<string, string>();
  #longName: string | null = null;
  #longLink: string | null = null;
  #ended = false;
  #entries = 0;

  constructor(readonly archive: string, readonly begin: (entry: RawEntry) => FileSink | null) {}

  /** Content bytes the parser would discard next: a seekable source may skip them instead. */
  get skippable(): number {
    return this.#out || this.#meta || this.#ended ? 0 : this.#left;
  }

  /** Tells that the next `n` bytes (at most {@linkcode skippable}) were skipped. */
  skipped(n: number): void {
    this.#left -= n;
    if (this.#left === 0) this.#endContent();
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.#ended) {
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.length - at);
        this.#content(chunk.subarray(at, at + n));
        at += n;
        this.#left -= n;
        if (this.#left === 0) this.#endContent();
      } else if (this.#padding > 0) {
        const n = Math.min(this.#padding, chunk.length - at);
        at += n;
        this.#padding -= n;
      } else {
        const n = Math.min(BLOCK - this.#filled, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#filled);
        this.#filled += n;
        at += n;
        if (this.#filled === BLOCK) {
          this.#filled = 0;
          this.#onHeader(this.#header);
        }
      }
    }
  }

  /** The stream ended: it must have ended between entries. */
  finish(): void {
    if (this.#left > 0 || this.#filled > 0 || this.#meta) {
      throw corrupt(this.archive, "truncated in the middle of an entry");
    }
    if (this.#entries === 0 && !this.#ended) throw corrupt(this.archive, "empty or truncated");
  }

  #content(bytes: Uint8Array): void {
    if (this.#meta) {
      this.#meta.parts.push(bytes.slice());
    } else this.#out?.write(bytes);
  }

  #endContent(): void {
    const meta = this.#meta;
    if (meta) {
      this.#meta = null;
      const bytes = new Uint8Array(meta.size);
      let at = 0;
      for (const part of meta.parts) (bytes.set(part, at), (at += part.length));
      if (meta.type === 0x78) { for (const [k, v] of parsePax(bytes)) this.#pax.set(k, v); }
      else if (meta.type === 0x4c) this.#longName = text(bytes);
      else if (meta.type === 0x4b) this.#longLink = text(bytes);
    } else {
      const out = this.#out;
      this.#out = null;
      out?.end();
    }
  }

  #onHeader(h: Uint8Array): void {
    if (h.every((b) => b === 0)) {
      this.#ended = true;
      return;
    }
    if (tarChecksum(h) !== parseOctal(h.subarray(148, 156))) {
      throw corrupt(this.archive, `bad header checksum after ${this.#entries} entries`);
    }
    const size = parseSize(h.subarray(124, 136));
    if (size === null) throw corrupt(this.archive, "bad size field");
    const type = h[156]!;
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 0x78 || type === 0x4c || type === 0x4b || type === 0x67) {
      if (size > MAX_META) throw corrupt(this.archive, "extended header too long");
      // A global pax header ('g') is read and dropped: it may not rename entries.
      this.#meta = { type, parts: [], size };
      this.#left = size;
      if (size === 0) this.#endContent();
      return;
    }
    this.#entries++;
    const entry = this.#entry(h, type, Number(this.#pax.get("size") ?? size));
    this.#pax.clear();
    this.#longName = this.#longLink = null;
    this.#out = this.begin(entry);
    this.#left = entry.kind === "file" ? entry.size : size;
    this.#padding = (BLOCK - (this.#left % BLOCK)) % BLOCK;
    if (this.#left === 0) this.#endContent();
  }

  #entry(h: Uint8Array, type: number, size: number): RawEntry {
    const posix = text(h.subarray(257, 263)) === "ustar";
    const prefix = posix ? text(h.subarray(345, 500)) : "";
    const name = this.#pax.get("path") ?? this.#longName ??
      (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    const link = this.#pax.get("linkpath") ?? this.#longLink ?? text(h.subarray(157, 257));
    const mode = parseOctal(h.subarray(100, 108)) ?? undefined;
    const base = { name, mode: mode === undefined ? undefined : mode & 0o777 };
    if ([...this.#pax.keys()].some((k) => k.startsWith("GNU.sparse"))) {
      throw new ArchiveError(
        "unsupported",
        `${this.archive}: sparse file ${name}`,
        this.archive,
        name,
      );
    }
    switch (type) {
      case 0x00:
      case 0x30:
      case 0x37:
        return { ...base, kind: name.endsWith("/") ? "dir" : "file", size };
      case 0x31:
        return { ...base, kind: "hardlink", size: 0, target: link };
      case 0x32:
        return { ...base, kind: "symlink", size: 0, target: link };
      case 0x35:
      case 0x44:
        return { ...base, kind: "dir", size: 0 };
      case 0x33:
      case 0x34:
      case 0x36:
        throw new ArchiveError(
          "unsafe-archive",
          `${this.archive}: device or fifo ${name}`,
          this.archive,
          name,
        );
      default:
        throw new ArchiveError(
          "unsupported",
          `${this.archive}: entry type '${String.fromCharCode(type)}' of ${name}`,
          this.archive,
          name,
        );
    }
  }
}

/** Feeds a tar (or tar.gz) file through a parser built on `begin`. */
async function run(
  path: string,
  archive: string,
  gzipped: boolean,
  begin: (entry: RawEntry) => FileSink | null,
  meter: Meter,
  listing: boolean,
): Promise<void> {
  const parser = new TarParser(archive, begin);
  using file = await Deno.open(path, { read: true });
  try {
    if (gzipped || !listing) {
      const onRead = (n: number) => meter.consumed(n);
      await pump(fileChunks(file, 0, Infinity, onRead), (c) => {
        meter.checkAborted();
        if (listing) meter.produced(c.length);
        parser.push(c);
      }, gzipped ? gunzipper() : undefined);
    } else {
      await listPlain(file, parser);
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw corrupt(archive, `damaged gzip data (${(error as Error).message})`);
    }
    throw error;
  }
  parser.finish();
}

/** Listing a plain tar seeks over contents instead of reading them. */
async function listPlain(file: Deno.FsFile, parser: TarParser): Promise<void> {
  const size = (await file.stat()).size;
  let position = 0;
  const buffer = new Uint8Array(64 * 1024);
  while (position < size) {
    const skip = Math.min(parser.skippable, size - position);
    if (skip > 0) {
      parser.skipped(skip);
      position += skip;
      continue;
    }
    await file.seek(position, Deno.SeekMode.Start);
    const n = await file.read(buffer.subarray(0, Math.min(buffer.length, BLOCK * 2)));
    if (n === null) break;
    parser.push(buffer.subarray(0, n));
    position += n;
  }
}

/** Every entry of a tar or tar.gz (a tar.gz is decompressed whole to list it). */
export async function listTar(
  o: { path: string; archive: string; gzipped: boolean; meter: Meter },
): Promise<RawEntry[]> {
  const { path, archive, gzipped, meter } = o;
  const entries: RawEntry[] = [];
  await run(
    path,
    archive,
    gzipped,
    (entry) => {
      entries.push(entry);
      return null;
    },
    meter,
    true,
  );
  return entries;
}

/** Extracts a tar or tar.gz entry by entry into `sink`. */
export async function extractTar(
  o: { path: string; archive: string; gzipped: boolean; sink: EntrySink },
): Promise<void> {
  const { path, archive, gzipped, sink } = o;
  await run(path, archive, gzipped, (entry) => sink.begin(entry), sink, false);
}
