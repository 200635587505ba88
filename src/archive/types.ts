/**
 * The shapes shared by the readers, the inspection and the writer.
 *
 * @module
 */

/** What an entry makes in the destination. */
export type EntryKind = "file" | "dir" | "symlink" | "hardlink";

/** An entry as a format reader sees it, before its name is checked. */
export interface RawEntry {
  /** The name as stored (decoded to a string). */
  name: string;
  kind: EntryKind;
  /** Declared bytes of its content (0 for folders and links). */
  size: number;
  /** Bytes its content takes in the archive, where the format says. */
  compressedSize?: number;
  /** Symlink: the target as stored; hardlink: the name of the entry it repeats. */
  target?: string;
  /** Unix permission bits, where the archive keeps them. */
  mode?: number;
  /** Whether its content (or its header) is encrypted. */
  encrypted?: boolean;
}

/** An entry of an inspected archive: its checked, normalised path and what it makes. */
export interface ArchiveEntry {
  /** The set it belongs to (`ArchiveSet.name`). */
  archive: string;
  /** Relative POSIX path, normalised (see entry_path.ts). */
  path: string;
  kind: EntryKind;
  /** Declared bytes (0 for folders and links). */
  size: number;
  /** Bytes in the archive, where known. */
  compressedSize?: number;
  /** Symlink: the target as stored, `/`-separated; hardlink: the normalised path it repeats. */
  target?: string;
  /** Unix permission bits, where known. */
  mode?: number;
}

/** The content of one file entry while it is extracted. */
export interface FileSink {
  /** Writes the next bytes (synchronously: RAR calls it from inside WASM). */
  write(bytes: Uint8Array): void;
  /** The entry is complete. */
  end(): void;
}

/** What a reader reports while it reads, for the caps and for stopping. */
export interface Meter {
  /** Bytes of the archive read so far grew by `n` (for the expansion ratio). */
  consumed(n: number): void;
  /** Decompressed bytes a listing had to produce grew by `n` (tar.gz: bombs stop here). */
  produced(n: number): void;
  /** Throws the abort reason when extraction should stop. */
  checkAborted(): void;
}

/** Where a reader delivers what it extracts, entry by entry, in archive order. */
export interface EntrySink extends Meter {
  /** The next entry; a sink for its content when it is a file whose bytes are wanted, else null. */
  begin(entry: RawEntry): FileSink | null;
}
