/**
 * The page as a player uses it, in headless Chromium against three real
 * peers on loopback: find a friend's game by search, download it and watch
 * the bar move, cancel another, reach every action with the keyboard alone.
 * The page is read the way assistive technology reads it (roles and names,
 * README "The web page"). No request may leave 127.0.0.1, and no console error or CSP
 * violation may happen. Screenshots of every page land in
 * artifacts/screenshots/.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { assert, assertEquals } from "./assert.ts";
import { browserMissing, launch, screenshot, SCREENSHOTS } from "./browser.ts";
import { tempTree, writeGame } from "./fixtures.ts";
import { gameBytes, writeZip } from "./fixtures/archives.ts";
import { inTree, PeerProcess } from "./peer_process.ts";

const MiB = 1024 * 1024;
const missing = browserMissing();
if (missing) console.log(`web browser tests skipped: ${missing}`);

/** A tiny valid PNG (1×1), as a cover a seed offers. */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

async function seedLibrary(dir: string): Promise<void> {
  const doom = await writeGame(dir, {
    id: "Doom",
    version: "1.9",
    files: { "doom.exe": 700_000 },
  });
  // Its data is an archive (stored: big enough for the bar to move), so that it installs.
  writeZip(join(doom, "doom.zip"), [{ name: "doom.wad", data: gameBytes(40 * MiB, 9) }], {
    method: "store",
  });
  await Deno.writeFile(join(doom, "cover.png"), PNG);
  await Deno.writeTextFile(
    join(doom, "game.json"),
    JSON.stringify({
      name: "Doom",
      genre: "Shooter",
      players: "1-4",
      description: "Rip and tear.",
      cover: "cover.png",
    }),
  );
  await writeGame(dir, {
    id: "Quake",
    version: "1.1",
    name: "Quake",
    files: { "pak0.pak": 40 * MiB },
  });
  await writeGame(dir, {
    id: "Rally",
    version: "2",
    name: "Rally Trophy",
    files: { "r.bin": MiB },
  });
}

/** Distinct values the progress bar took within `ms`. */
async function barValues(page: Page, name: string, until: () => Promise<boolean>, ms: number) {
  const bar = page.getByRole("progressbar", { name: `${name} download progress` });
  const values = new Set<string>();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await until())) {
    const value = await bar.getAttribute("value", { timeout: 200 }).catch(() => null);
    if (value !== null) values.add(value);
    await new Promise((r) => setTimeout(r, 100));
  }
  return values;
}

/** Tabs through the page from the top; returns the data-key or text of each element reached. */
async function tabThrough(page: Page, max = 200): Promise<string[]> {
  await page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)");
  const reached: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const label = await page.evaluate(
      `(() => { const e = document.activeElement; if (!e || e === document.body) return null;
        return (e.dataset.key || e.id || e.name || "") + "|" + e.tagName + "|" + (e.textContent ?? "").trim(); })()`,
    ) as string | null;
    if (label === null || reached.includes(label)) break;
    reached.push(label);
  }
  return reached;
}

Deno.test({
  name:
    "a player finds a friend's game, downloads it, cancels another, and reaches everything by keyboard",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const tree = await tempTree();
    const peers: PeerProcess[] = [];
    const browser = await launch();
    try {
      // Capped seeds: the download lasts a few seconds, long enough to watch and to cancel.
      for (const name of ["alice", "bob"]) {
        await seedLibrary(tree.path(name));
        peers.push(
          await PeerProcess.start(inTree(tree, name, { extraArgs: ["--upload-limit=4"] })),
        );
      }
      const player = await PeerProcess.start(
        inTree(tree, "player", { web: true, connect: peers.map((p) => p.addr) }),
      );
      peers.push(player);
      await player.command("wait-peers", { count: 2, timeoutMs: 15_000 });
      for (const seed of peers.slice(0, 2)) {
        await seed.waitEvent("library-hashed", (e) => e.game === "Quake", 60_000);
      }
      await player.until(
        async () =>
          (await player.games()).find((g) =>
            g.id === "Quake" && (g.sources as string[]).length === 2
          ),
        15_000,
        "both seeds offering the hashed games",
      );
      const { page } = browser;
      await page.goto(player.webUrl);
      await page.getByRole("article", { name: "Rally Trophy" }).waitFor();
      await page.locator("#conn[data-state=live]").waitFor();

      await t.step(
        "finds a remote game by search and downloads it, watching the bar move",
        async () => {
          await page.keyboard.press("/");
          assertEquals(await page.evaluate("document.activeElement.id"), "q", "/ focuses search");
          await page.keyboard.type("doo");
          const doom = page.getByRole("article", { name: "Doom" });
          await page.getByRole("article", { name: "Rally Trophy" }).waitFor({ state: "detached" });
          assertEquals(await page.getByRole("article").count(), 1);
          assertEquals(await doom.getByText("Available", { exact: true }).count(), 1);
          await screenshot(page, "library-search");
          await doom.getByRole("button", { name: "Download" }).click();
          await doom.getByRole("progressbar").waitFor({ timeout: 10_000 });
          await screenshot(page, "library-downloading");
          // Download asks for the install too: the game goes on to Installing, then Installed.
          const after = doom.locator('[data-field="state"]', {
            hasText: /^(Downloaded|Installing|Installed)$/,
          });
          const downloaded = () => after.isVisible();
          const values = await barValues(page, "Doom", downloaded, 60_000);
          console.log(`  progress bar values seen: ${[...values].join(", ")}`);
          assert(values.size >= 2, `the bar moved: ${[...values].join(", ")}`);
          await after.waitFor({ timeout: 30_000 });
          await page.getByRole("status")
            .filter({ hasText: /Doom downloaded|Installing Doom|Doom installed/ }).waitFor();
        },
      );

      await t.step("the game ends Installed: Download installs right after", async (s) => {
        const doom = page.getByRole("article", { name: "Doom" });
        await doom.getByText("Installed", { exact: true }).waitFor({ timeout: 60_000 });
        await page.getByRole("status").filter({ hasText: "Doom installed" }).waitFor();
        assert(s);
      });

      await t.step("cancels another download", async () => {
        await page.getByRole("searchbox", { name: "Search games" }).fill("quake");
        const quake = page.getByRole("article", { name: "Quake" });
        await quake.waitFor();
        await quake.getByRole("button", { name: "Download" }).click();
        await quake.getByRole("progressbar").waitFor({ timeout: 10_000 });
        await quake.getByRole("button", { name: "Cancel" }).click();
        await quake.getByText("Available", { exact: true }).waitFor({ timeout: 15_000 });
        await page.getByRole("status").filter({ hasText: "Download of Quake cancelled" }).waitFor();
        assertEquals(await quake.getByRole("progressbar").count(), 0);
      });

      await t.step("the keyboard alone reaches every link and action", async () => {
        await page.goto(player.webUrl);
        for (const path of ["/", "/games/Doom", "/peers", "/settings"]) {
          await page.goto(new URL(path, player.webUrl).href);
          const reached = await tabThrough(page);
          const all = await page.evaluate(
            `[...document.querySelectorAll("a[href], button, input:not([type=hidden]), select")]
              .filter((e) => e.offsetParent !== null && !e.closest("dialog"))
              .map((e) => (e.dataset.key || e.id || e.name || "") + "|" + e.tagName + "|" + (e.textContent ?? "").trim())`,
          ) as string[];
          const missed = all.filter((x) => !reached.includes(x));
          assertEquals(missed, [], `${path}: not reachable by Tab`);
        }
        // An action by keyboard: Enter on Uninstall opens a confirmation that says what it deletes.
        await page.goto(new URL("/games/Doom", player.webUrl).href);
        await page.getByRole("button", { name: "Uninstall" }).focus();
        await page.keyboard.press("Enter");
        const dialog = page.getByRole("dialog");
        await dialog.waitFor();
        assert((await dialog.textContent())?.includes("deletes"));
        await screenshot(page, "game-uninstall-confirm");
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "hidden" });
      });

      await t.step("every page renders; screenshots are kept", async () => {
        for (
          const [path, name] of [
            ["/", "library"],
            ["/games/Doom", "game"],
            ["/downloads", "downloads"],
            ["/party", "party"],
            ["/peers", "peers"],
            ["/activity", "activity"],
            ["/settings", "settings"],
          ]
        ) {
          await page.goto(new URL(path!, player.webUrl).href);
          await page.locator("#conn[data-state=live]").waitFor();
          await screenshot(page, name!);
        }
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(player.webUrl);
        await screenshot(page, "library-phone");
        const cover = page.getByRole("article", { name: "Doom" }).locator("img.cover");
        const width = await cover.evaluate((img) =>
          (img as unknown as { naturalWidth: number }).naturalWidth
        );
        assertEquals(width, 1, "the seed's cover, fetched from a peer");
        console.log(`  screenshots in ${SCREENSHOTS}`);
      });

      await t.step("no request left 127.0.0.1, no console error, no CSP violation", () => {
        assertEquals(browser.outside, []);
        assertEquals(browser.problems, []);
      });
    } finally {
      await browser.close();
      await Promise.all(peers.map((p) => p.shutdown()));
      await tree.cleanup();
    }
  },
});
