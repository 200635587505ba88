/**
 * Recognises an archive by its first bytes, never by its name (`.eti` is
 * RAR): RAR 4 and RAR 5 marker blocks (RAR 5.0 archive format), zip
 * signatures (PKWARE APPNOTE 4.3.7, 4.3.16, 4.3.14), gzip (RFC 1952) holding
 * a tar, and tar headers (POSIX ustar, GNU, and checksummed v7).
 *
 * @module
 */
import zlib from "node:zlib";

/** The formats lanspread extracts. */
export type ArchiveFormat = "rar" | "zip" | "tar" | "tar.gz";

/** How many leading bytes {@linkcode sniffFormat} wants to see. */
export const SNIFF_BYTES = 64 * 1024;

const RAR4 = [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00];
const RAR5 = [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00];
/** Local file header, end of central directory (empty zip), zip64 end record, split marker. */
const ZIP = [[0x03, 0x04], [0x05, 0x06], [0x06, 0x06], [0x07, 0x08]];

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

/** The format of a file whose first bytes are `head` (up to {@linkcode SNIFF_BYTES}), or null. */
export function sniffFormat(head: Uint8Array): ArchiveFormat | null {
  if (startsWith(head, RAR4) || startsWith(head, RAR5)) return "rar";
  if (head[0] === 0x50 && head[1] === 0x4b && ZIP.some((s) => startsWith(head, s, 2))) return "zip";
  if (head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) {
    return isTarHeader(gunzipHead(head)) ? "tar.gz" : null;
  }
  return isTarHeader(head) ? "tar" : null;
}

/** As much of a gzip stream's start as `head` inflates to (empty when it is not gzip). */
function gunzipHead(head: Uint8Array): Uint8Array {
  try {
    return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Whether `block` starts with a tar header: the ustar magic at 257 (POSIX
 * `ustar\0`, GNU `ustar `), or else an old v7 header, recognised only when
 * its checksum is right, its name is set and its type and size are sane.
 */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false;
  if (startsWith(block, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) return true;
  if (block[0] === 0) return false;
  const type = block[156]!;
  if (type !== 0 && (type < 0x30 || type > 0x37)) return false;
  if (parseOctal(block.subarray(124, 136)) === null) return false;
  return tarChecksum(block) === parseOctal(block.subarray(148, 156));
}

/** The header checksum: the sum of all bytes with the checksum field counted as spaces. */
export function tarChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** An octal number field (leading spaces, then digits, ended by NUL or space); null if malformed. */
export function parseOctal(field: Uint8Array): number | null {
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const b = field[i]!;
    if (b === 0 || b === 0x20) break;
    if (b < 0x30 || b > 0x37) return null;
    value = value * 8 + (b - 0x30);
    digits++;
  }
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return null;
  return digits > 0 ? value : null;
}
