/**
 * Proof that the files a commit moves are the ones that were verified: the
 * stamps taken in staging right before the journal, and at recovery either
 * the same stamps (size, mtime, inode: a rename keeps them) or, failing
 * that, every block hashed again against the manifest.
 *
 * @module
 */
import { lstatOrNull } from "../../common/owned_dir.ts";
import type { Manifest } from "../../wire/download_schemas.ts";
import { hashFile, parseManifest, stampOf } from "../library/mod.ts";
import { progressPaths } from "./resume_state.ts";
import { nativePath, type Stamp } from "./staging.ts";

/** A new file of a commit with the stamp it had when staged. */
export interface JournalFile {
  path: string;
  size: number;
  mtimeMs: number | null;
  ino: number | null;
}

/** The stamps of every staged file of `manifest`; throws when one is missing or not its size. */
export async function stampFiles(staged: string, manifest: Manifest): Promise<JournalFile[]> {
  const out: JournalFile[] = [];
  for (const file of manifest.files) {
    const info = await lstatOrNull(nativePath(staged, file.path));
    if (!info?.isFile || info.size !== file.size) {
      throw new Error(`staged ${file.path} is missing or not ${file.size} bytes`);
    }
    out.push({
      path: file.path,
      size: file.size,
      mtimeMs: info.mtime?.getTime() ?? null,
      ino: info.ino,
    });
  }
  return out;
}

/** The journal's files from stamps just taken (by manifest file index). */
export function journalFiles(
  manifest: Manifest,
  stamps: ReadonlyMap<number, Stamp>,
): JournalFile[] {
  return manifest.files.map((file, i) => {
    const stamp = stamps.get(i);
    if (!stamp || stamp.size !== file.size) throw new Error(`staged ${file.path} has no stamp`);
    return { path: file.path, size: file.size, mtimeMs: stamp.mtimeMs, ino: stamp.ino };
  });
}

/** Whether the file at `path` still has the journal's stamp. */
export async function hasStamp(path: string, want: JournalFile): Promise<boolean> {
  const info = await lstatOrNull(path);
  return info !== null && info.isFile && info.size === want.size &&
    (info.mtime?.getTime() ?? null) === want.mtimeMs && info.ino === want.ino;
}

interface Dirs {
  gameDir: string;
  staged: string;
}

/**
 * Why the new files of `journal` cannot be trusted any more, or null when
 * every one (in staging or already moved in) is the file that was staged.
 */
export async function checkStaged(
  dirs: Dirs,
  journal: { game: string; version: string; manifestHash: string; files: JournalFile[] },
  stateDir: string,
): Promise<string | null> {
  let manifest: Manifest | null | undefined;
  for (const file of journal.files) {
    const staged = nativePath(dirs.staged, file.path);
    const where = (await lstatOrNull(staged)) ? staged : nativePath(dirs.gameDir, file.path);
    if (await hasStamp(where, file)) continue;
    manifest ??= await loadManifest(stateDir, journal);
    const entry = manifest?.files.find((f) => f.path === file.path);
    if (!manifest || !entry) return `${file.path} changed and its manifest is gone`;
    const info = await lstatOrNull(where);
    if (!info?.isFile || info.size !== entry.size) return `${file.path} is missing or resized`;
    const hashes = await hashFile(where, stampOf(info), manifest.blockSize).catch(() => null);
    if (!hashes || hashes.some((h, i) => h !== entry.blocks[i])) {
      return `${file.path} no longer matches its manifest`;
    }
  }
  return null;
}

async function loadManifest(
  stateDir: string,
  journal: { game: string; version: string; manifestHash: string },
): Promise<Manifest | null> {
  const bytes = await Deno.readFile(progressPaths(stateDir, journal.game).manifest)
    .catch(() => null);
  if (!bytes) return null;
  const parsed = parseManifest(bytes, journal.manifestHash, journal);
  return parsed.ok ? parsed.manifest : null;
}
