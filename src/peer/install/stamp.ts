/**
 * First play after an install (ARCHITECTURE.md "Install: transactions and recovery"): the player name and language go
 * into the first `account_name.txt`, `language.txt` and the `PersonaName =`
 * line of the first `SmartSteamEmu.ini` under `local/` (alphabetical
 * depth-first, symlinks skipped), keeping every other line and the line
 * endings. The text edits are pure; {@linkcode stampFiles} does the I/O.
 *
 * @module
 */
import { join } from "node:path";

/** Replaces the first line of `text` by `value`, keeping its line ending and every other line. */
export function replaceFirstLine(text: string, value: string): string {
  const end = text.search(/\r?\n/);
  return end < 0 ? value : value + text.slice(end);
}

const PERSONA = /^([ \t]*PersonaName[ \t]*=[ \t]*)[^\r\n]*/im;

/** Sets the `PersonaName =` line of an ini text; unchanged when there is none. */
export function replacePersona(text: string, name: string): string {
  return text.replace(PERSONA, (_all, key: string) => key + name);
}

/** Control characters and line breaks have no place in a name written into a config file. */
export function cleanValue(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, "").trim();
}

const TARGETS = ["account_name.txt", "language.txt", "smartsteamemu.ini"] as const;
type Target = typeof TARGETS[number];

/** The first file of each target name under `root`: entries sorted by name, depth-first, links skipped. */
export async function findTargets(root: string): Promise<Partial<Record<Target, string>>> {
  const found: Partial<Record<Target, string>> = {};
  const walk = async (dir: string): Promise<void> => {
    const entries = (await Array.fromAsync(Deno.readDir(dir)))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const entry of entries) {
      if (entry.isSymlink) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) {
        const name = entry.name.toLowerCase() as Target;
        if (TARGETS.includes(name) && !found[name]) found[name] = path;
      }
      if (TARGETS.every((t) => found[t])) return;
    }
  };
  await walk(root);
  return found;
}

/** Writes `playerName` and `language` into the game's config files; returns the files changed. */
export async function stampFiles(
  local: string,
  settings: { playerName: string; language: string },
): Promise<string[]> {
  const found = await findTargets(local);
  const name = cleanValue(settings.playerName);
  const language = cleanValue(settings.language);
  const edits: [string | undefined, (text: string) => string][] = [
    [found["account_name.txt"], (t) => replaceFirstLine(t, name)],
    [found["language.txt"], (t) => replaceFirstLine(t, language)],
    [found["smartsteamemu.ini"], (t) => replacePersona(t, name)],
  ];
  const changed: string[] = [];
  for (const [path, edit] of edits) {
    if (!path) continue;
    const before = await Deno.readTextFile(path);
    const after = edit(before);
    if (after !== before) {
      await Deno.writeTextFile(path, after);
      changed.push(path);
    }
  }
  return changed;
}
