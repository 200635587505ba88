/**
 * Zip archives (PKWARE APPNOTE 6.3.10): the central directory (zip64
 * included) lists the entries; each entry's data is found through its local
 * header and is stored (0) or deflated (8), checked by CRC-32 as it streams
 * out. Spanned zips and other methods are refused.
 *
 * @module
 */
import zlib from "node:zlib";
import { ArchiveError } from "./errors.ts";
import { fileChunks, inflater, isZlibError, pump } from "./_stream.ts";
import type { EntrySink, RawEntry } from "./types.ts";

/** A central directory record, with what extraction needs beside the entry. */
interface ZipRecord extends RawEntry {
  method: number;
  crc: number;
  /** The declared uncompressed size, also of links and folders. */
  storedSize: number;
  localOffset: number;
  compressedSize: number;
}

const EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
const MAX16 = 0xffff, MAX32 = 0xffffffff;
/** Code page 437, bytes 0x80-0xff: names without the UTF-8 flag (APPNOTE appendix D). */
const CP437 =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";
const utf8 = new TextDecoder("utf-8", { fatal: true });

function corrupt(archive: string, why: string, entry?: string): ArchiveError {
  return new ArchiveError("corrupt-archive", `${archive}: ${why}`, archive, entry);
}

function decodeName(bytes: Uint8Array, isUtf8: boolean): string {
  if (isUtf8) {
    try {
      return utf8.decode(bytes);
    } catch {
      // Falls through: some tools set the flag on names that are not UTF-8.
    }
  }
  let s = "";
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437[b - 0x80];
  return s;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<DataView> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return new DataView(out.buffer, 0, filled);
}

const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

/** Where the central directory is and how many records it has. */
async function findDirectory(file: Deno.FsFile, size: number, archive: string) {
  const tailLength = Math.min(size, 22 + MAX16);
  const tail = await readAt(file, size - tailLength, tailLength);
  let at = tail.byteLength - 22;
  while (at >= 0 && tail.getUint32(at, true) !== EOCD) at--;
  if (at < 0) throw corrupt(archive, "no end of central directory (truncated?)");
  if (tail.getUint16(at + 4, true) !== 0 || tail.getUint16(at + 6, true) !== 0) {
    throw new ArchiveError("unsupported", `${archive} is a spanned zip`, archive);
  }
  let count = tail.getUint16(at + 10, true);
  let dirSize = tail.getUint32(at + 12, true);
  let dirOffset = tail.getUint32(at + 16, true);
  const locatorAt = at - 20;
  if (locatorAt >= 0 && tail.getUint32(locatorAt, true) === ZIP64_LOCATOR) {
    const record = await readAt(file, u64(tail, locatorAt + 8), 56);
    if (record.byteLength < 56 || record.getUint32(0, true) !== ZIP64_EOCD) {
      throw corrupt(archive, "bad zip64 end of central directory");
    }
    count = u64(record, 32);
    dirSize = u64(record, 40);
    dirOffset = u64(record, 48);
  }
  if (dirOffset + dirSize > size) {
    throw corrupt(archive, "central directory past the end (truncated?)");
  }
  return { count, dirSize, dirOffset };
}

/** The central directory's records in order. */
async function readDirectory(file: Deno.FsFile, archive: string): Promise<ZipRecord[]> {
  const size = (await file.stat()).size;
  const { count, dirSize, dirOffset } = await findDirectory(file, size, archive);
  const dir = await readAt(file, dirOffset, dirSize);
  const bytes = new Uint8Array(dir.buffer, 0, dir.byteLength);
  const records: ZipRecord[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.byteLength || dir.getUint32(at, true) !== CENTRAL) {
      throw corrupt(archive, `central directory record ${i + 1} is damaged`);
    }
    const nameLength = dir.getUint16(at + 28, true);
    const extraLength = dir.getUint16(at + 30, true);
    const end = at + 46 + nameLength + extraLength + dir.getUint16(at + 32, true);
    if (end > dir.byteLength) {
      throw corrupt(archive, `central directory record ${i + 1} is cut short`);
    }
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    const extra = new DataView(dir.buffer, at + 46 + nameLength, extraLength);
    records.push(toRecord(dir, at, nameBytes, extra));
    at = end;
  }
  return records;
}

function toRecord(dir: DataView, at: number, nameBytes: Uint8Array, extra: DataView): ZipRecord {
  const flags = dir.getUint16(at + 8, true);
  const method = dir.getUint16(at + 10, true);
  let compressedSize = dir.getUint32(at + 20, true);
  let size = dir.getUint32(at + 24, true);
  let localOffset = dir.getUint32(at + 42, true);
  let name = decodeName(nameBytes, (flags & 0x800) !== 0);
  for (let e = 0; e + 4 <= extra.byteLength;) {
    const id = extra.getUint16(e, true);
    const length = extra.getUint16(e + 2, true);
    let f = e + 4;
    if (id === 0x0001) {
      // Zip64: only the fields whose 32-bit value is saturated, in this order.
      if (size === MAX32 && f + 8 <= extra.byteLength) (size = u64(extra, f)), (f += 8);
      if (compressedSize === MAX32 && f + 8 <= extra.byteLength) {
        (compressedSize = u64(extra, f)), (f += 8);
      }
      if (localOffset === MAX32 && f + 8 <= extra.byteLength) localOffset = u64(extra, f);
    } else if (
      id === 0x7075 && length > 5 && extra.getUint32(f + 1, true) === zlib.crc32(nameBytes)
    ) {
      // Info-ZIP Unicode path: the UTF-8 name of an entry whose header name is CP437.
      const unicode = new Uint8Array(extra.buffer, extra.byteOffset + f + 5, length - 5);
      name = decodeName(unicode, true);
    }
    e += 4 + length;
  }
  const externalAttributes = dir.getUint32(at + 38, true);
  const madeOnUnix = dir.getUint8(at + 5) === 3;
  const unixMode = madeOnUnix ? externalAttributes >>> 16 : 0;
  const type = unixMode & 0o170000;
  const isDir = /[/\\]$/.test(name) || type === 0o040000 ||
    (!madeOnUnix && (externalAttributes & 0x10) !== 0);
  const kind = isDir ? "dir" : type === 0o120000 ? "symlink" : "file";
  const record: ZipRecord = {
    name,
    kind,
    size: kind === "file" ? size : 0,
    compressedSize,
    method,
    crc: dir.getUint32(at + 16, true),
    storedSize: size,
    localOffset,
  };
  if (madeOnUnix) record.mode = unixMode & 0o777;
  if (flags & 0x41 || method === 99) record.encrypted = true;
  return record;
}

/** Where an entry's compressed data starts (after its local header). */
async function dataOffset(file: Deno.FsFile, record: ZipRecord, archive: string): Promise<number> {
  const local = await readAt(file, record.localOffset, 30);
  if (local.byteLength < 30 || local.getUint32(0, true) !== LOCAL) {
    throw corrupt(archive, "local header missing (truncated?)", record.name);
  }
  return record.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
}

/** The content of a record, through `out` chunk by chunk, checked against its CRC-32. */
async function streamRecord(
  file: Deno.FsFile,
  record: ZipRecord,
  archive: string,
  out: (chunk: Uint8Array) => void,
  onRead?: (n: number) => void,
): Promise<void> {
  if (record.method !== 0 && record.method !== 8) {
    throw new ArchiveError(
      "unsupported",
      `${archive}: ${record.name} uses compression method ${record.method}`,
      archive,
      record.name,
    );
  }
  const start = await dataOffset(file, record, archive);
  let crc = 0;
  let produced = 0;
  const source = fileChunks(file, start, record.compressedSize, onRead);
  try {
    await pump(source, (chunk) => {
      crc = zlib.crc32(chunk, crc);
      produced += chunk.length;
      out(chunk);
    }, record.method === 8 ? inflater() : undefined);
  } catch (error) {
    if (isZlibError(error)) {
      throw corrupt(
        archive,
        `${record.name} is damaged (${(error as Error).message})`,
        record.name,
      );
    }
    throw error;
  }
  if (produced !== record.storedSize || crc !== record.crc) {
    throw corrupt(
      archive,
      `${record.name} is damaged or truncated (CRC or size mismatch)`,
      record.name,
    );
  }
}

/** Longest symlink target read from an archive. */
const MAX_TARGET = 4096;

async function linkTarget(file: Deno.FsFile, record: ZipRecord, archive: string): Promise<string> {
  if (record.storedSize > MAX_TARGET) {
    throw corrupt(archive, `${record.name}: symlink target too long`, record.name);
  }
  const parts: Uint8Array[] = [];
  await streamRecord(file, record, archive, (chunk) => {
    parts.push(chunk.slice());
    if (parts.reduce((n, p) => n + p.length, 0) > MAX_TARGET) {
      throw corrupt(archive, `${record.name}: symlink target too long`, record.name);
    }
  });
  return new TextDecoder().decode(await new Blob(parts as BlobPart[]).bytes());
}

function toEntry(record: ZipRecord): RawEntry {
  const { method: _m, crc: _c, localOffset: _l, storedSize: _s, ...entry } = record;
  return entry;
}

/** Every entry of a zip; symlink targets are read (they are the entries' contents). */
export async function listZip(path: string, archive: string): Promise<RawEntry[]> {
  using file = await Deno.open(path, { read: true });
  const records = await readDirectory(file, archive);
  for (const record of records) {
    if (record.kind === "symlink" && !record.encrypted) {
      record.target = await linkTarget(file, record, archive);
    }
  }
  return records.map(toEntry);
}

/** Extracts a zip entry by entry into `sink`. */
export async function extractZip(path: string, archive: string, sink: EntrySink): Promise<void> {
  using file = await Deno.open(path, { read: true });
  for (const record of await readDirectory(file, archive)) {
    sink.checkAborted();
    if (record.kind === "symlink") record.target = await linkTarget(file, record, archive);
    const out = sink.begin(toEntry(record));
    if (!out) continue;
    await streamRecord(file, record, archive, (chunk) => out.write(chunk), (n) => sink.consumed(n));
    out.end();
  }
}
