/**
 * The caps that keep a hostile or broken archive from filling the disk or
 * the memory of a peer (ARCHITECTURE.md "Install: transactions and recovery": bombs). Every cap is checked on what the
 * archive declares before anything is written, and again on the bytes
 * actually produced while writing, so a lying header cannot get past them.
 *
 * @module
 */

/** Caps of one extraction; every field can be overridden per call. */
export interface ArchiveLimits {
  /** Bytes all archives of a game may expand to (declared, then counted). */
  maxTotalBytes: number;
  /** Entries (files, folders, links) in all archives of a game together. */
  maxEntries: number;
  /**
   * Output bytes per input byte, over everything extracted so far. Real
   * game data compresses 1:1 to 1:10; deflate cannot exceed ~1032:1, so a
   * bomb built of deflated zeros stops after `ratioGraceBytes`.
   */
  maxRatio: number;
  /** Output before the ratio is judged, so that small files of zeros do not trip it. */
  ratioGraceBytes: number;
  /** UTF-16 code units of an entry's normalised relative path. */
  maxPathLength: number;
  /** UTF-8 bytes of one path segment (NAME_MAX of Linux and most file systems). */
  maxSegmentBytes: number;
}

/** The defaults: generous for any real game, small enough to stop a bomb early. */
export const ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  // The largest games are ~150 GB installed; twice that is not a game.
  maxTotalBytes: 512 * 1024 ** 3,
  // Big games have ~100k files; the same cap as a manifest's files (src/wire/protocol.ts).
  maxEntries: 500_000,
  // 200:1 is far past real data and well below what deflate bombs reach (1032:1).
  maxRatio: 200,
  ratioGraceBytes: 16 * 1024 ** 2,
  // The same as a path on the wire, so that whatever installs can also be shared.
  maxPathLength: 1024,
  maxSegmentBytes: 255,
});
