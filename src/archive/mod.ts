/**
 * Archive extraction for installs (ARCHITECTURE.md "Install: transactions and recovery"): finds the archives at a
 * game's root by their content, checks every entry before a byte is
 * written, and extracts RAR 4/5 (solid, multi-volume), zip (zip64), tar and
 * tar.gz inside the executable, in a Web Worker.
 *
 * Use:
 * ```ts
 * const sets = await findArchives(gameDir);               // [] → nothing to install
 * const { files, bytes } = await extractArchives(sets, staging, { signal, onProgress });
 * ```
 *
 * Every failure is an {@linkcode ArchiveError} with a code (src/common/errors.ts):
 * - `unsafe-archive`: an entry would land outside the destination (`..`, absolute, drive,
 *   UNC, colon, control characters, Windows device names, trailing dot or space,
 *   `.lanspread*`, a link out, anything under a link); found before anything is written.
 * - `password-required`: an encrypted entry or encrypted headers; before anything is written.
 * - `corrupt-archive`: damaged, truncated, a missing volume, a CRC mismatch; may be found
 *   while writing.
 * - `too-large`: past a cap of `ARCHIVE_LIMITS` (declared: before writing; counted:
 *   while writing, e.g. an entry producing more than it declares, a bomb's ratio).
 * - `disk-full`: the declared size exceeds the free space (before writing), or the disk
 *   filled up while writing.
 * - `unsupported`: a zip method other than stored/deflate, spanned zips, sparse tar files.
 * - `io-error`: the file system refused a read or a write; `bad-request`: no such destination.
 * An aborted call rejects with the signal's reason. After any failure during writing the
 * destination holds a partial tree: the caller deletes it (it is its staging folder).
 *
 * | file | role |
 * |---|---|
 * | `find.ts`, `sniff.ts`, `volumes.ts` | archives at a game's root, by content; RAR volume sets |
 * | `extract.ts`, `worker.ts`, `_messages.ts` | the API: runs the engine in a worker |
 * | `engine.ts` | inspection, then free space, then extraction (any thread) |
 * | `inspect.ts`, `entry_path.ts`, `limits.ts` | the rules every entry must pass, the caps |
 * | `writer.ts` | writes into the destination without following links, counts bytes |
 * | `zip.ts`, `tar.ts`, `rar.ts`, `rar_headers.ts`, `_stream.ts` | the format readers |
 * | `errors.ts`, `types.ts` | `ArchiveError`, shared shapes |
 *
 * @module
 */
export { findArchives } from "./find.ts";
export type { ArchiveSet, FindOptions } from "./find.ts";
export type { ArchiveFormat } from "./sniff.ts";
export { extractArchives, inspectArchives } from "./extract.ts";
export type { ExtractOptions, InspectOptions } from "./extract.ts";
export type { ExtractResult } from "./engine.ts";
export type { Inspection } from "./inspect.ts";
export type { ArchiveEntry, EntryKind } from "./types.ts";
export type { ExtractProgress } from "./writer.ts";
export { ARCHIVE_LIMITS } from "./limits.ts";
export type { ArchiveLimits } from "./limits.ts";
export { ArchiveError } from "./errors.ts";
export type { ArchiveErrorCode } from "./errors.ts";
export { isExtractWorker, runExtractWorker } from "./worker.ts";
