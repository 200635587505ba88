/**
 * kill -9 at every step of an install and of an update, then a restart:
 * the game ends with exactly the old or the new `local/` (the user's save
 * kept either way), no staging, backup or intent left, and the installed
 * version it reports matches the tree. The peer kills itself with SIGKILL at
 * the named point (LANSPREAD_TEST_INSTALL_CRASH); one prepared game is
 * copied for each point and only the installing peer runs.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { tempTree } from "./fixtures.ts";
import { gameBytes, writeZip } from "./fixtures/archives.ts";
import { PeerProcess } from "./peer_process.ts";
import { type Digest, exists, sha256, sorted, treeDigest } from "./install_fixtures.ts";
import { INSTALL_POINTS } from "../src/peer/install/mod.ts";

const SAVE = "saves/slot1.sav";
const SAVE_TEXT = "level 7";

/** Two archives (so that the kill at `extracting` lands between them) of version `v`. */
async function writeVersion(gameDir: string, v: number): Promise<Digest> {
  await Deno.mkdir(gameDir, { recursive: true });
  await Deno.writeTextFile(join(gameDir, "version.ini"), String(v));
  const a = { name: "data/a.pak", data: gameBytes(2_000_000, v) };
  const b = { name: `data/b${v}.pak`, data: gameBytes(1_000_000, 10 + v) };
  writeZip(join(gameDir, "a.zip"), [a]);
  writeZip(join(gameDir, "b.zip"), [b]);
  return sorted({ [a.name]: sha256(a.data), [b.name]: sha256(b.data) });
}

async function copyTree(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  assert(out.success, `cp -a ${from} ${to}`);
}

Deno.test({
  name:
    "kill -9 at every step of an install and of an update, and from outside mid-extraction, then a restart, leaves the old or the new local/",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const tree = await tempTree();
    try {
      // Templates: "fresh" (v1 downloaded, not installed), "installed" (v1 installed, a save).
      const fresh = tree.path("fresh");
      const v1 = await writeVersion(join(fresh, "games", "Game"), 1);
      const installed = tree.path("installed");
      await copyTree(fresh, installed);
      const prep = await PeerProcess.start({
        name: "prep",
        gamesDir: join(installed, "games"),
        stateDir: join(installed, "state"),
      });
      await prep.command("install", { game: "Game" });
      await prep.shutdown();
      const local = (root: string) => join(root, "games", "Game", "local");
      await Deno.mkdir(join(local(installed), "saves"));
      await Deno.writeTextFile(join(local(installed), SAVE), SAVE_TEXT);
      const saved = { [SAVE]: sha256(new TextEncoder().encode(SAVE_TEXT)) };
      const v2 = await writeVersion(tree.path("v2"), 2);

      const cases = [
        ...["claimed", "extracting", "extracted", "promoted", "recorded", "cleaned"]
          .map((point) => ({ point, update: false })),
        ...INSTALL_POINTS.map((point) => ({ point, update: true })),
      ];
      const endings: string[] = [];
      for (const { point, update } of cases) {
        await t.step(`${update ? "update" : "install"} killed at ${point}`, async () => {
          const root = tree.path(`${update ? "u" : "i"}-${point}`);
          await copyTree(update ? installed : fresh, root);
          if (update) await writeVersion(join(root, "games", "Game"), 2);
          const options = {
            name: "victim",
            gamesDir: join(root, "games"),
            stateDir: join(root, "state"),
          };
          const victim = await PeerProcess.start({
            ...options,
            env: { LANSPREAD_TEST_INSTALL_CRASH: point },
          });
          victim.command("install", { game: "Game" }, 30_000).catch(() => {});
          const status = await victim.exited;
          assertEquals(status.signal, "SIGKILL", `${point}: ${victim.tail()}`);
          const again = await PeerProcess.start(options);
          try {
            const after = await treeDigest(local(root));
            const row = (await again.games()).find((g) => g.id === "Game");
            const old = update ? sorted({ ...v1, ...saved }) : null;
            const next = sorted({ ...v2Or(v1, v2, update), ...(update ? saved : {}) });
            const ending = JSON.stringify(after) === JSON.stringify(old)
              ? "old"
              : JSON.stringify(after) === JSON.stringify(next)
              ? "new"
              : null;
            assert(ending !== null, `${point}: a mix: ${JSON.stringify(after)}`);
            endings.push(`${update ? "update" : "install"}@${point}=${ending}`);
            const wanted = ending === "old" ? (update ? "1" : null) : (update ? "2" : "1");
            assertEquals(row?.installedVersion ?? null, wanted, point);
            for (const left of [".lanspread-install", ".lanspread-backup"]) {
              assert(!(await exists(join(root, "games", "Game", left))), `${point}: ${left} left`);
            }
            assert(!(await exists(join(root, "state", "install", "Game.intent.json"))), point);
            // And the peer can go on: install (again) ends in the new version.
            if (ending === "old") {
              await again.command("install", { game: "Game" }, 30_000);
              assertEquals(await treeDigest(local(root)), next, `${point}: install after`);
            }
          } finally {
            await again.shutdown();
            await Deno.remove(root, { recursive: true }).catch(() => {});
          }
        });
      }
      await t.step("update killed from outside while it extracts", async () => {
        const root = tree.path("u-outside");
        await copyTree(installed, root);
        const gameDir = join(root, "games", "Game");
        const next = await writeVersion(gameDir, 2);
        // A big second archive, so that the kill lands while it is being written.
        const big = { name: "data/big.pak", data: gameBytes(48_000_000, 99) };
        writeZip(join(gameDir, "b.zip"), [
          { name: `data/b2.pak`, data: gameBytes(1_000_000, 12) },
          big,
        ]);
        const expected = sorted({ ...next, [big.name]: sha256(big.data), ...saved });
        const options = {
          name: "victim",
          gamesDir: join(root, "games"),
          stateDir: join(root, "state"),
        };
        const victim = await PeerProcess.start(options);
        victim.command("install", { game: "Game" }, 30_000).catch(() => {});
        await victim.waitEvent("install-progress", (e) => (e.doneBytes as number) > 0, 30_000);
        victim.signal("SIGKILL");
        await victim.exited;
        const again = await PeerProcess.start(options);
        try {
          const after = await treeDigest(local(root));
          const old = sorted({ ...v1, ...saved });
          const ending = JSON.stringify(after) === JSON.stringify(old)
            ? "old"
            : JSON.stringify(after) === JSON.stringify(expected)
            ? "new"
            : null;
          assert(ending !== null, `a mix: ${JSON.stringify(after)}`);
          endings.push(`update@outside=${ending}`);
          assert(!(await exists(join(gameDir, ".lanspread-install"))));
          assert(!(await exists(join(gameDir, ".lanspread-backup"))));
        } finally {
          await again.shutdown();
          await Deno.remove(root, { recursive: true }).catch(() => {});
        }
      });
      console.error(`endings: ${endings.join(" ")}`);
    } finally {
      await tree.cleanup();
    }
  },
});

function v2Or(v1: Digest, v2: Digest, update: boolean): Digest {
  return update ? v2 : v1;
}
