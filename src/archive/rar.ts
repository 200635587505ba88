/**
 * RAR 4 and RAR 5 (solid and multi-volume sets too) through the official
 * unrar compiled to WASM (`node-unrar-js`), driven through its low-level
 * archive object: lanspread supplies the file callbacks, so volumes are read
 * straight from disk and each file's bytes go to the writer as they come,
 * never whole into memory. Synchronous by nature: it runs in the worker.
 *
 * @module
 */
import wasm from "node-unrar-js/esm/js/unrar.wasm" with { type: "bytes" };
import unrarFactory from "node-unrar-js/esm/js/unrar.js";
import { ArchiveError } from "./errors.ts";
import zlib from "node:zlib";
import {
  type RarFileHeader,
  type RarLink,
  type RarStoredData,
  readRarHeaders,
} from "./rar_headers.ts";
import type { EntrySink, FileSink, RawEntry } from "./types.ts";

/** The parts of the Emscripten module lanspread uses (see node-unrar-js' Extractor.js). */
interface UnrarModule {
  HEAPU8: Uint8Array;
  RarArchive: new () => RarArchive;
  extractor: Callbacks;
}
interface State {
  errCode: number;
}
interface RarArchive {
  open(path: string, password: string, listOnly: boolean): { state: State; flags: number };
  getFileHeader(): RawHeader;
  readFile(skip: boolean): State;
  delete(): void;
}
interface RawHeader {
  state: State;
  name: string;
  flags: number;
  packSize: number;
  unpSize: number;
  hostOS: number;
  fileAttr: number;
}
interface Callbacks {
  open(name: string): number;
  create(name: string): number;
  close(handle: number): void;
  read(handle: number, pointer: number, size: number): number;
  write(handle: number, pointer: number, size: number): boolean;
  tell(handle: number): number;
  seek(handle: number, offset: number, method: "SET" | "CUR" | "END"): boolean;
}

let loaded: Promise<UnrarModule> | undefined;
function unrar(): Promise<UnrarModule> {
  loaded ??= unrarFactory({ wasmBinary: wasm.slice().buffer }) as Promise<UnrarModule>;
  return loaded;
}

const END_ARCHIVE = 10;
const PASSWORD = new Set([22, 24]);
const WRITE_FAILED = 19;
/** unrar's file header flags (dll.hpp RHDF_*). */
const SPLIT_BEFORE = 0x01, SPLIT_AFTER = 0x02, ENCRYPTED = 0x04, DIRECTORY = 0x20;
/** The handle of the file being extracted; volumes get 1, 2, … */
const OUTPUT = 0x7fff_0000;

/**
 * File callbacks for one pass over a set. unrar asks for volumes by names it
 * computes; the n-th distinct name opened is the n-th volume of the set, so
 * sets named either way (and renamed `.eti` files) read alike.
 */
class Volumes implements Callbacks {
  #files = new Map<number, { file: Deno.FsFile; pos: number; size: number }>();
  #last = -1;
  output: FileSink | null = null;
  failure: unknown = null;

  constructor(readonly mod: UnrarModule, readonly paths: string[], readonly sink?: EntrySink) {}

  open(name: string): number {
    const index = name === this.paths[0] ? 0 : this.#last + 1;
    const path = this.paths[index];
    if (path === undefined) return 0;
    this.#last = index;
    const file = Deno.openSync(path, { read: true });
    this.#files.set(index + 1, { file, pos: 0, size: file.statSync().size });
    return index + 1;
  }
  create(): number {
    return OUTPUT;
  }
  close(handle: number): void {
    if (handle === OUTPUT) return this.#finish();
    this.#files.get(handle)?.file.close();
    this.#files.delete(handle);
  }
  read(handle: number, pointer: number, size: number): number {
    const f = this.#files.get(handle);
    if (!f) return -1;
    try {
      this.sink?.checkAborted();
      const n = f.file.readSync(this.mod.HEAPU8.subarray(pointer, pointer + size)) ?? 0;
      f.pos += n;
      this.sink?.consumed(n);
      return n;
    } catch (error) {
      this.failure ??= error;
      return -1;
    }
  }
  write(_handle: number, pointer: number, size: number): boolean {
    try {
      this.output?.write(this.mod.HEAPU8.subarray(pointer, pointer + size));
      return true;
    } catch (error) {
      this.failure ??= error;
      return false;
    }
  }
  tell(handle: number): number {
    return this.#files.get(handle)?.pos ?? 0;
  }
  seek(handle: number, offset: number, method: "SET" | "CUR" | "END"): boolean {
    const f = this.#files.get(handle);
    if (!f) return false;
    const pos = offset + (method === "SET" ? 0 : method === "END" ? f.size : f.pos);
    if (pos < 0 || pos > f.size) return false;
    f.file.seekSync(pos, Deno.SeekMode.Start);
    f.pos = pos;
    return true;
  }
  #finish(): void {
    const output = this.output;
    this.output = null;
    try {
      output?.end();
    } catch (error) {
      this.failure ??= error;
    }
  }
  closeAll(): void {
    for (const f of this.#files.values()) f.file.close();
    this.#files.clear();
  }
}

function fail(code: number, volumes: Volumes, archive: string, entry?: string): never {
  if (volumes.failure) throw volumes.failure;
  const at = entry ? ` at ${entry}` : "";
  if (PASSWORD.has(code)) {
    throw new ArchiveError("password-required", `${archive} is encrypted${at}`, archive, entry);
  }
  if (code === WRITE_FAILED) {
    throw new ArchiveError("io-error", `cannot write${at}`, archive, entry);
  }
  const what = code === 13 || code === 14 ? "not a readable RAR archive" : "damaged or incomplete";
  throw new ArchiveError(
    "corrupt-archive",
    `${archive} is ${what}${at} (unrar ${code})`,
    archive,
    entry,
  );
}

function toRaw(h: RawHeader, links: Map<string, RarLink[]>): RawEntry {
  const link = links.get(h.name.replaceAll("\\", "/"))?.shift();
  const kind = h.flags & DIRECTORY ? "dir" : link ? link.kind : "file";
  const raw: RawEntry = { name: h.name, kind, size: kind === "file" ? h.unpSize : 0 };
  if (kind === "file" && !(h.flags & (SPLIT_BEFORE | SPLIT_AFTER))) raw.compressedSize = h.packSize;
  if (link) raw.target = link.target ?? undefined;
  if (h.flags & ENCRYPTED) raw.encrypted = true;
  if (h.hostOS === 3) raw.mode = h.fileAttr & 0o777;
  return raw;
}

function headersOf(
  paths: string[],
  archive: string,
): { links: Map<string, RarLink[]>; files: RarFileHeader[] } {
  let info;
  try {
    info = readRarHeaders(paths);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ArchiveError("corrupt-archive", `${archive}: ${message}`, archive);
  }
  if (info.encryptedHeaders) {
    throw new ArchiveError("password-required", `${archive} has encrypted headers`, archive);
  }
  const links = new Map<string, RarLink[]>();
  for (const link of info.links) {
    const key = link.name.replaceAll("\\", "/");
    links.set(key, [...links.get(key) ?? [], link]);
  }
  // In a solid archive every file's decoding depends on the ones before: unrar reads them all.
  return { links, files: info.solid ? [] : info.files };
}

/** Bytes copied at a time on the stored fast path. */
const COPY_CHUNK = 4 << 20;

/**
 * Copies a stored file's data straight from its volume into `out`, checking
 * its CRC32 (native) instead of having unrar do it in WASM.
 */
function copyStored(
  data: RarStoredData,
  paths: string[],
  out: FileSink,
  sink: EntrySink,
  buffer: Uint8Array,
  archive: string,
  entry: string,
): void {
  using file = Deno.openSync(paths[data.volume]!, { read: true });
  file.seekSync(data.offset, Deno.SeekMode.Start);
  let crc = 0;
  for (let left = data.size; left > 0;) {
    sink.checkAborted();
    const n = file.readSync(buffer.subarray(0, Math.min(left, buffer.length))) ?? 0;
    if (n <= 0) {
      throw new ArchiveError(
        "corrupt-archive",
        `${archive} is cut short at ${entry}`,
        archive,
        entry,
      );
    }
    const chunk = buffer.subarray(0, n);
    crc = zlib.crc32(chunk, crc);
    sink.consumed(n);
    out.write(chunk);
    left -= n;
  }
  if (crc >>> 0 !== data.crc32) {
    throw new ArchiveError(
      "corrupt-archive",
      `${archive} is damaged at ${entry} (CRC mismatch)`,
      archive,
      entry,
    );
  }
  out.end();
}

/**
 * One pass over the set `paths` named `archive`: every entry goes to
 * `visit`; with `sink`, file contents are extracted into what `sink.begin`
 * returns (list mode without it: data is skipped, not decompressed).
 */
async function pass(
  paths: string[],
  archive: string,
  visit: (entry: RawEntry) => FileSink | null,
  sink?: EntrySink,
): Promise<void> {
  const { links, files } = headersOf(paths, archive);
  const mod = await unrar();
  let buffer: Uint8Array | null = null;
  const volumes = new Volumes(mod, paths, sink);
  mod.extractor = volumes;
  const rar = new mod.RarArchive();
  try {
    const opened = rar.open(paths[0]!, "", !sink);
    if (opened.state.errCode !== 0) fail(opened.state.errCode, volumes, archive);
    let index = 0;
    while (true) {
      const header = rar.getFileHeader();
      if (header.state.errCode === END_ARCHIVE) return;
      if (header.state.errCode !== 0) fail(header.state.errCode, volumes, archive);
      const entry = toRaw(header, links);
      volumes.output = visit(entry);
      // The n-th header unrar reports is the n-th we walked; a stored one is copied by us.
      const known = files[index++];
      const stored = known?.name === header.name ? known.stored : null;
      if (sink && volumes.output && stored) {
        const out = volumes.output;
        volumes.output = null;
        buffer ??= new Uint8Array(COPY_CHUNK);
        copyStored(stored, paths, out, sink, buffer, archive, header.name);
      }
      const read = rar.readFile(volumes.output === null);
      if (read.errCode !== 0) fail(read.errCode, volumes, archive, header.name);
      if (volumes.failure) throw volumes.failure;
      volumes.close(OUTPUT);
      if (volumes.failure) throw volumes.failure;
    }
  } finally {
    rar.delete();
    volumes.closeAll();
  }
}

/** Every entry of a RAR set, reading headers only. */
export async function listRar(paths: string[], archive: string): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  await pass(paths, archive, (entry) => {
    entries.push(entry);
    return null;
  });
  return entries;
}

/** Extracts a RAR set entry by entry into `sink`. */
export async function extractRar(paths: string[], archive: string, sink: EntrySink): Promise<void> {
  await pass(paths, archive, (entry) => sink.begin(entry), sink);
}
