/**
 * The library: scanning the games directory, watching it, hashing shared
 * files into manifests, and serving manifests and blocks to peers. Also the
 * path and manifest checks a downloader needs for what peers send.
 *
 * | file | role |
 * |---|---|
 * | `library.ts` | the service: wires the parts, applies what scans find, publishes |
 * | `_scans.ts` | when and what to scan: the scan chain, rescans, holds, the games dir's errors |
 * | `_entries.ts` | pure: each game folder's state, what a scan changes in it, its view |
 * | `scan.ts`, `metadata.ts` | reading the games dir: shared files, `version.ini`, `game.json` |
 * | `watcher.ts` | watch events → "these games may have changed", debounced |
 * | `hash_worker.ts`, `hasher.ts`, `hash_cache.ts` | hashing blocks, one game at a time, cached |
 * | `served.ts`, `manifest.ts` | a scanned game made servable: its manifest from cached hashes |
 * | `serving.ts`, `files.ts`, `rechecks.ts` | answers to peers: manifests, runs of blocks, bad-block reports |
 * | `view.ts`, `publisher.ts`, `index_store.ts` | the offered snapshot, one revision per change, stored first |
 * | `paths.ts`, `version.ts` | pure: wire paths and game ids; ordering versions |
 * | `types.ts` | the service's options and answers |
 *
 * @module
 */
export { Library } from "./library.ts";
export type {
  BadBlockAnswer,
  BlockFailure,
  LibraryOptions,
  LibraryStatus,
  LocalGame,
  ManifestAnswer,
  RunAnswer,
} from "./types.ts";
export { comparePaths, INSTALLED_DIR, isGameId, PRIVATE_PREFIX, wirePathError } from "./paths.ts";
export { compareVersions, highestVersion } from "./version.ts";
export {
  buildManifest,
  type BuiltManifest,
  canonicalManifestBytes,
  MAX_TOTAL_SIZE,
  type ParsedManifest,
  parseManifest,
} from "./manifest.ts";
export {
  blockCount,
  FileChangedError,
  type FileStamp,
  hashFile,
  sha256Hex,
  stampOf,
} from "./hasher.ts";
export { writeFileAtomic } from "../../common/atomic.ts";
export {
  scanGame,
  scanGamesDir,
  type ScannedGame,
  type ScanResult,
  type SharedFile,
} from "./scan.ts";
