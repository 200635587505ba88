import { join } from "node:path";
import { assertEquals } from "../../tests/assert.ts";
import { createLogger } from "../common/log.ts";
import { settingsPath, SettingsStore } from "./settings.ts";
import type { Settings } from "./views.ts";

const defaults: Settings = {
  name: "box",
  playerName: "box",
  language: "english",
  uploadLimit: null,
  downloadLimit: 50,
  uploadsPerPeer: 8,
};

async function withState(fn: (stateDir: string, warnings: string[]) => Promise<void>) {
  const stateDir = await Deno.makeTempDir();
  const warnings: string[] = [];
  try {
    await fn(stateDir, warnings);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
}

const logTo = (lines: string[]) => createLogger({ level: "warn", sink: (l) => lines.push(l) });

Deno.test("a change is in force at once, names what changed, and is there after a restart", () =>
  withState(async (stateDir, warnings) => {
    const log = logTo(warnings);
    const store = await SettingsStore.load({ stateDir, defaults, log });
    const { settings, changed } = await store.update({ playerName: "Ann", uploadLimit: 5 });
    assertEquals([settings.playerName, settings.uploadLimit], ["Ann", 5]);
    assertEquals(changed.sort(), ["playerName", "uploadLimit"]);
    assertEquals((await store.update({ playerName: "Ann" })).changed, [], "same value: no change");
    const again = await SettingsStore.load({ stateDir, defaults, log });
    assertEquals(again.get(), { ...defaults, playerName: "Ann", uploadLimit: 5 });
    assertEquals(warnings, []);
  }));

Deno.test("a flag given on the command line wins over the stored value for that run", () =>
  withState(async (stateDir) => {
    const log = logTo([]);
    await (await SettingsStore.load({ stateDir, defaults, log })).update({ name: "stored" });
    const flagged = await SettingsStore.load({
      stateDir,
      defaults: { ...defaults, name: "flag" },
      explicit: new Set(["name"]),
      log,
    });
    assertEquals(flagged.get().name, "flag");
    assertEquals((await SettingsStore.load({ stateDir, defaults, log })).get().name, "stored");
  }));

Deno.test("a damaged or hostile settings file is ignored with a warning: the defaults stand", () =>
  withState(async (stateDir, warnings) => {
    const log = logTo(warnings);
    for (
      const text of ["{ not json", '{"v":1,"name":"\\u001b[2J"}', '{"v":1,"uploadsPerPeer":-3}']
    ) {
      await Deno.writeTextFile(settingsPath(stateDir), text);
      assertEquals((await SettingsStore.load({ stateDir, defaults, log })).get(), defaults);
    }
    assertEquals(warnings.length, 3);
    assertEquals(join(stateDir, "settings.json"), settingsPath(stateDir));
  }));
