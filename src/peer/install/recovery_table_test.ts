/**
 * The recovery table, row by row: the pure decision, then each row on a
 * real folder (an update from 1 to 2 with a user's save) ended by
 * recoverInstalls: the old or the new complete `local/`, never a mix.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { silentLogger } from "../../common/log.ts";
import { OWNER_FILE } from "../../common/owned_dir.ts";
import { allRows, decide, type IntentKey, type Present } from "./recovery_table.ts";
import { installDirs, type Intent, readRecords, writeIntent, writeRecord } from "./records.ts";
import { recoverInstalls } from "./recover.ts";

const OLD = { "bin/game.dat": "old game", "readme.txt": "old readme" };
const NEW = { "bin/game.dat": "new game", "extra/new.txt": "new file" };
const SAVE = { "saves/slot1.sav": "the player's save" };

function write(dir: string, files: Record<string, string>, marked = false): void {
  for (const [path, text] of Object.entries(files)) {
    Deno.mkdirSync(join(dir, path, ".."), { recursive: true });
    Deno.writeTextFileSync(join(dir, path), text);
  }
  if (marked) Deno.writeTextFileSync(join(dir, OWNER_FILE), "lanspread\n");
}

function read(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of Deno.readDirSync(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, read(dir, rel));
    else out[rel] = Deno.readTextFileSync(join(dir, rel));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1));
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a < b ? -1 : 1));

function label(intent: IntentKey, p: Present): string {
  const what = intent ? `${intent.op}/${intent.step}` : "no intent";
  const has = (["local", "staging", "backup"] as const).filter((k) => p[k]).join("+") || "nothing";
  return `${what} with ${has}`;
}

Deno.test("every row of the table ends in old, new, none or leaves local/ untouched", () => {
  const rows = allRows();
  assertEquals(rows.length, 56);
  for (const { intent, present, decision } of rows) {
    const name = label(intent, present);
    const a = decision.actions;
    // Never both back and forth, and a staging that survives is always dropped or promoted.
    assert(!(a.includes("restore") && a.includes("promote")), name);
    if (present.staging) assert(a.includes("drop-staging") || a.includes("promote"), name);
    if (decision.ends === "new") assert(intent?.op === "install", name);
    if (intent === null) assertEquals(decision.ends, "untouched", name);
  }
});

Deno.test("an update interrupted before the swap rolls forward once staging is complete", () => {
  assertEquals(
    decide({ op: "install", step: "swapping" }, { local: true, staging: true, backup: false }),
    {
      actions: ["backup-local", "promote", "carry", "write-record", "drop-backup"],
      ends: "new",
    },
  );
  assertEquals(
    decide({ op: "install", step: "extracting" }, { local: true, staging: true, backup: false }),
    { actions: ["drop-staging"], ends: "old" },
  );
});

/** Lays out one row: what each folder holds follows from the step that was running. */
function layout(root: string, intent: IntentKey, p: Present) {
  const games = join(root, "games");
  const dirs = installDirs(games, "Game");
  Deno.mkdirSync(dirs.gameDir, { recursive: true });
  Deno.writeTextFileSync(join(dirs.gameDir, "version.ini"), "2");
  const before = intent?.op === "install" &&
    (intent.step === "extracting" || (intent.step === "swapping" && p.staging));
  const localIsOld = intent?.op !== "install" || before;
  // From `cleaning` on, the user's files were carried already.
  const carried = intent?.op === "install" && intent.step === "cleaning";
  if (p.local) {
    write(dirs.local, localIsOld ? { ...OLD, ...SAVE } : carried ? { ...NEW, ...SAVE } : NEW);
  }
  if (p.staging) write(dirs.staging, NEW, true);
  if (p.backup) write(dirs.backup, carried ? OLD : { ...OLD, ...SAVE }, true);
  return { games, dirs, save: (p.local && (localIsOld || carried)) || (p.backup && !carried) };
}

Deno.test("recovery ends every row of the table on disk as the table says", async () => {
  for (const { intent, present, decision } of allRows()) {
    const name = label(intent, present);
    const root = Deno.makeTempDirSync({ prefix: "lanspread-recovery-" });
    try {
      const state = join(root, "state");
      const { games, dirs, save } = layout(root, intent, present);
      const previous = { version: "1", files: Object.keys(OLD) };
      // From `cleaning` on, the new version is recorded.
      const recorded = intent?.step === "cleaning"
        ? { version: "2", files: Object.keys(NEW) }
        : previous;
      await writeRecord(state, { game: "Game", gamesDir: games, ...recorded, played: true });
      if (intent) {
        const full: Intent = {
          v: 1,
          ...intent,
          game: "Game",
          gamesDir: games,
          version: intent.op === "install" ? "2" : "1",
          files: intent.op === "install" && intent.step !== "extracting" ? Object.keys(NEW) : [],
          previous: intent.op === "install" ? previous : null,
          carried: intent.step === "carrying" ? Object.keys(SAVE) : [],
        };
        await writeIntent(state, full);
      }
      const localBefore = present.local ? read(dirs.local) : null;
      const done = await recoverInstalls({ stateDir: state, gamesDir: games, log: silentLogger });
      assertEquals(done.map((d) => d.decision), intent ? [decision] : [], name);
      const local = (() => {
        try {
          return read(dirs.local);
        } catch {
          return null;
        }
      })();
      const record = (await readRecords(state)).get("Game") ?? null;
      const removing = intent?.op === "remove";
      if (decision.ends === "old") {
        const old = sorted({ ...OLD, ...(save ? SAVE : {}) });
        assertEquals(local, present.local || present.backup ? old : null, name);
        assertEquals(record?.version ?? null, "1", name);
      } else if (decision.ends === "new") {
        const carried = save ? SAVE : {};
        assertEquals(local, sorted({ ...NEW, ...carried }), name);
        assertEquals([record?.version, record?.files], ["2", Object.keys(NEW)], name);
      } else if (decision.ends === "none") {
        assertEquals([local, record], [null, null], name);
      } else {
        assertEquals(local, localBefore, name);
      }
      const left = (p: string) => {
        try {
          Deno.lstatSync(p);
          return true;
        } catch {
          return false;
        }
      };
      assert(!left(dirs.staging), `${name}: staging left`);
      assertEquals(left(dirs.backup), decision.actions.includes("keep-backup"), `${name}: backup`);
      assert(!left(join(state, "install", "Game.intent.json")), `${name}: intent left`);
      if (removing) assert(!left(join(dirs.gameDir, "version.ini")), `${name}: version.ini left`);
      if (left(dirs.local)) {
        assert(!left(join(dirs.local, OWNER_FILE)), `${name}: marker in local/`);
      }
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  }
});

Deno.test("a reserved folder with neither our marker nor an intent is never touched", async () => {
  const root = Deno.makeTempDirSync({ prefix: "lanspread-recovery-" });
  try {
    const games = join(root, "games");
    const dirs = installDirs(games, "Game");
    write(dirs.staging, { "mine.txt": "a user's folder" });
    write(dirs.backup, { "mine.txt": "a user's folder" });
    write(join(games, "Other", ".lanspread-install"), { "x": "ours" }, true);
    await recoverInstalls({ stateDir: join(root, "state"), gamesDir: games, log: silentLogger });
    assertEquals(read(dirs.staging), { "mine.txt": "a user's folder" });
    assertEquals(read(dirs.backup), { "mine.txt": "a user's folder" });
    assertEquals([...Deno.readDirSync(join(games, "Other"))], []);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an unreadable intent is set aside and nothing is touched", async () => {
  const root = Deno.makeTempDirSync({ prefix: "lanspread-recovery-" });
  try {
    const games = join(root, "games");
    const dirs = installDirs(games, "Game");
    write(dirs.local, OLD);
    Deno.mkdirSync(join(root, "state", "install"), { recursive: true });
    Deno.writeTextFileSync(join(root, "state", "install", "Game.intent.json"), "{not json");
    await recoverInstalls({ stateDir: join(root, "state"), gamesDir: games, log: silentLogger });
    assertEquals(read(dirs.local), sorted(OLD));
    assert(Deno.statSync(join(root, "state", "install", "Game.intent.json.bad")).isFile);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ARCHITECTURE.md shows this very table", async () => {
  const doc = await Deno.readTextFile(new URL("../../../ARCHITECTURE.md", import.meta.url));
  const cells = (line: string) => line.split("|").slice(1, -1).map((c) => c.trim());
  const rows = doc.split("\n").filter((l) => /^\| (none|install|uninstall|remove) /.test(l))
    .map(cells);
  const yn = (b: boolean) => b ? "yes" : "—";
  assertEquals(
    rows,
    allRows().map(({ intent, present, decision }) => [
      intent ? `${intent.op} / ${intent.step}` : "none",
      yn(present.local),
      yn(present.staging),
      yn(present.backup),
      decision.actions.map((a) => `\`${a}\``).join(" → ") || "—",
      decision.ends,
    ]),
  );
});
