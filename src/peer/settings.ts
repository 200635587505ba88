/**
 * The settings a user changes at run time (harness `settings`, HTTP
 * `PATCH settings`, the page): validated by one schema, kept in
 * `<state>/settings.json` (atomically; only what the user set), and read
 * back at the next start. A flag given on the command line wins over the
 * stored value for that run, as README "Flags" says.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { readJsonIfExists, writeFileAtomic } from "../common/atomic.ts";
import type { Logger } from "../common/log.ts";
import type { Settings } from "./views.ts";

// deno-lint-ignore no-control-regex
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/;
const Name = z.string().trim().min(1).max(64).regex(NO_CONTROL, "no control characters");
/** Speeds in MB/s as the CLI takes them; null lifts a cap. */
const Rate = z.number().positive().max(100_000).nullable();

/** The fields a `settings` command (or `PATCH settings`) may change. */
export const SettingsPatch = z.object({
  name: Name.optional(),
  playerName: Name.optional(),
  language: z.string().trim().min(1).max(32).regex(/^[A-Za-z_-]+$/, "letters only").optional(),
  uploadLimit: Rate.optional(),
  downloadLimit: Rate.optional(),
  uploadsPerPeer: z.number().int().min(1).max(1000).optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export type SettingName = keyof Settings;

/** The fields of `patch` that are set. */
function definedOf(patch: SettingsPatch): Partial<Settings> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}

export function settingsPath(stateDir: string): string {
  return join(stateDir, "settings.json");
}

/** Options for {@linkcode SettingsStore.load}. */
export interface SettingsStoreOptions {
  stateDir: string;
  /** The values in force when nothing is stored (the CLI's, defaults filled in). */
  defaults: Settings;
  /** Settings whose flag was given on the command line: they win over stored values. */
  explicit?: ReadonlySet<SettingName>;
  log: Logger;
}

export class SettingsStore {
  #path: string;
  #stored: SettingsPatch;
  #current: Settings;

  private constructor(path: string, stored: SettingsPatch, current: Settings) {
    this.#path = path;
    this.#stored = stored;
    this.#current = current;
  }

  /** Reads the stored settings; a damaged file is ignored with a warning. */
  static async load(o: SettingsStoreOptions): Promise<SettingsStore> {
    const path = settingsPath(o.stateDir);
    let stored: SettingsPatch = {};
    try {
      const raw = await readJsonIfExists(path) as { v?: unknown } | undefined;
      if (raw !== undefined) {
        const { v, ...fields } = raw;
        const parsed = SettingsPatch.strict().safeParse(fields);
        if (v === 1 && parsed.success) stored = parsed.data;
        else o.log.warn(`${path} is not valid settings; using the defaults`);
      }
    } catch (error) {
      o.log.warn(`cannot read ${path}; using the defaults: ${(error as Error).message}`);
    }
    const current = { ...o.defaults };
    for (const [key, value] of Object.entries(stored) as [SettingName, never][]) {
      if (!o.explicit?.has(key)) current[key] = value;
    }
    return new SettingsStore(path, stored, current);
  }

  get(): Settings {
    return { ...this.#current };
  }

  /** Applies `patch`, stores it, and says which settings changed. */
  async update(patch: SettingsPatch): Promise<{ settings: Settings; changed: SettingName[] }> {
    const changed = (Object.keys(patch) as SettingName[])
      .filter((key) => patch[key] !== undefined && patch[key] !== this.#current[key]);
    const stored = { ...this.#stored, ...patch };
    await writeFileAtomic(this.#path, JSON.stringify({ v: 1, ...stored }));
    this.#stored = stored;
    this.#current = { ...this.#current, ...definedOf(patch) };
    return { settings: this.get(), changed };
  }
}
