/**
 * The library: scanning the games directory, watching it, hashing shared
 * files into manifests, and serving manifests and blocks to peers. Also the
 * path and manifest checks a downloader needs for what peers send.
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
