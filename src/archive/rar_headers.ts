/**
 * Walks the headers of RAR volumes (RAR 5.0 archive format; RAR 4 as in
 * unrar's technote) for what the WASM unrar does not tell: links. unrar
 * creates links with file-system calls that in WASM land in an in-memory
 * file system, so lanspread reads them here and makes them itself.
 *
 * Only headers are read; data areas are skipped (a stored RAR 4 symlink's
 * data is its target and is read, being a few bytes).
 *
 * @module
 */
import type { EntryKind } from "./types.ts";

/** A link entry of a RAR set. */
export interface RarLink {
  name: string;
  kind: Extract<EntryKind, "symlink" | "hardlink">;
  /** Its target, or null when it cannot be read (a compressed RAR 4 link). */
  target: string | null;
}

/**
 * Where a RAR 5 file's data lies when lanspread may copy it itself: stored
 * (method 0), whole in one volume, not encrypted, with a CRC32, in a
 * non-solid archive. unrar, in WASM, reads and checks such data at a third
 * of the disk's speed; a plain copy with a native CRC32 keeps up with it.
 */
export interface RarStoredData {
  /** Index of the volume in the set. */
  volume: number;
  offset: number;
  size: number;
  crc32: number;
}

/** One file header of a RAR 5 set, in the order unrar reports them. */
export interface RarFileHeader {
  name: string;
  stored: RarStoredData | null;
}

/** The links of a RAR set and whether its headers are encrypted. */
export interface RarHeaderInfo {
  links: RarLink[];
  encryptedHeaders: boolean;
  /** RAR 5 only (empty for RAR 4): every file header, split parts counted once. */
  files: RarFileHeader[];
  /** A solid archive (its files depend on the ones before). */
  solid: boolean;
}

const decoder = new TextDecoder();
const RAR5_SIGNATURE = 8;
const RAR4_SIGNATURE = 7;

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const n = file.readSync(out.subarray(filled));
    if (n === null || n === 0) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/** The links of every volume; throws a plain Error when a header is cut short. */
export function readRarHeaders(volumes: string[]): RarHeaderInfo {
  const info: RarHeaderInfo = { links: [], encryptedHeaders: false, files: [], solid: false };
  for (const [index, path] of volumes.entries()) {
    using file = Deno.openSync(path, { read: true });
    const head = readAt(file, 0, RAR5_SIGNATURE);
    if (head[6] === 0x01) walkRar5(file, info, index);
    else walkRar4(file, info);
    if (info.encryptedHeaders) break;
  }
  return info;
}

/** A cursor over variable-length integers (RAR 5 `vint`: 7 bits per byte, low first). */
class Cursor {
  constructor(readonly bytes: Uint8Array, public at = 0) {}
  vint(): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const b = this.bytes[this.at++];
      if (b === undefined) throw new Error("RAR header cut short");
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error("RAR vint too long");
  }
  skip(n: number): void {
    this.at += n;
  }
  take(n: number): Uint8Array {
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

function walkRar5(file: Deno.FsFile, info: RarHeaderInfo, volume: number): void {
  let offset = RAR5_SIGNATURE;
  while (true) {
    const prefix = readAt(file, offset, 4 + 3);
    if (prefix.length < 5) return;
    const sizeCursor = new Cursor(prefix, 4);
    const headerSize = sizeCursor.vint();
    const headerStart = offset + sizeCursor.at;
    const c = new Cursor(readAt(file, headerStart, headerSize));
    const type = c.vint();
    const flags = c.vint();
    const extraSize = flags & 0x1 ? c.vint() : 0;
    const dataSize = flags & 0x2 ? c.vint() : 0;
    if (type === 4) {
      info.encryptedHeaders = true;
      return;
    }
    if (type === 5) return;
    if (type === 1 && c.vint() & 0x4) info.solid = true;
    if (type === 2 && (flags & 0x8) === 0) {
      const where = { volume, offset: headerStart + headerSize, size: dataSize };
      readRar5File(c, headerSize - extraSize, info, (flags & 0x10) !== 0 ? null : where);
    }
    offset = headerStart + headerSize + dataSize;
  }
}

function readRar5File(
  c: Cursor,
  extraStart: number,
  info: RarHeaderInfo,
  whole: Omit<RarStoredData, "crc32"> | null,
): void {
  const fileFlags = c.vint();
  const unpacked = c.vint();
  c.vint(); // attributes
  if (fileFlags & 0x2) c.skip(4);
  const crc = fileFlags & 0x4 ? c.take(4) : null;
  const method = (c.vint() >> 7) & 0x7;
  c.vint(); // host OS
  const name = decoder.decode(c.take(c.vint()));
  let encrypted = false;
  c.at = extraStart;
  while (c.at < c.bytes.length) {
    const size = c.vint();
    const end = c.at + size;
    const record = c.vint();
    if (record === 1) encrypted = true;
    if (record === 5) {
      const redirection = c.vint();
      c.vint(); // flags
      const target = decoder.decode(c.take(c.vint()));
      const kind = redirection === 4 || redirection === 5 ? "hardlink" : "symlink";
      info.links.push({ name, kind, target });
    }
    c.at = end;
  }
  const plain = whole && crc && method === 0 && !encrypted && !(fileFlags & 0x1) &&
    whole.size === unpacked && (fileFlags & 0x8) === 0;
  info.files.push({ name, stored: plain ? { ...whole, crc32: u32(crc, 0) } : null });
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function walkRar4(file: Deno.FsFile, info: RarHeaderInfo): void {
  let offset = RAR4_SIGNATURE;
  while (true) {
    const base = readAt(file, offset, 11);
    if (base.length < 7) return;
    const type = base[2]!;
    const flags = u16(base, 3);
    const headerSize = u16(base, 5);
    if (headerSize < 7) throw new Error("RAR header cut short");
    let dataSize = flags & 0x8000 && base.length >= 11 ? u32(base, 7) : 0;
    if (type === 0x73 && flags & 0x80) {
      info.encryptedHeaders = true;
      return;
    }
    if (type === 0x7b) return;
    if (type === 0x74) {
      const h = readAt(file, offset, headerSize);
      if (h.length < 32) throw new Error("RAR header cut short");
      if (flags & 0x100 && h.length >= 40) dataSize += u32(h, 32) * 2 ** 32;
      const isSymlink = h[15] === 3 && (u32(h, 28) & 0xf000) === 0xa000;
      if (isSymlink && (flags & 0x1) === 0) {
        const nameAt = flags & 0x100 ? 40 : 32;
        const raw = h.subarray(nameAt, nameAt + u16(h, 26));
        const zero = raw.indexOf(0);
        const name = decoder.decode(zero >= 0 ? raw.subarray(0, zero) : raw);
        const stored = h[25] === 0x30 && dataSize <= 4096;
        const target = stored ? decoder.decode(readAt(file, offset + headerSize, dataSize)) : null;
        info.links.push({ name, kind: "symlink", target });
      }
    }
    offset += headerSize + dataSize;
  }
}
