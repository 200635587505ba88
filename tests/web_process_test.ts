/**
 * The web page as a real peer process serves it: the address in the log, a
 * port in use as a one-line error, and an exposed page behind its token.
 * Requests go to 127.0.0.1 only.
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { tempTree } from "./fixtures.ts";
import { PeerProcess, ROOT } from "./peer_process.ts";

Deno.test({
  name: "a web port in use stops the start with one line naming the port",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--unstable-net",
          "--unstable-raw-imports",
          "-A",
          join(ROOT, "main.ts"),
          "--no-mdns",
          "--host=127.0.0.1",
          "--port=0",
          `--web-port=${taken.addr.port}`,
          `--games-dir=${t.path("games")}`,
          `--state-dir=${t.path("state")}`,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      const last = stderr.trim().split("\n").at(-1)!;
      assertMatch(
        last,
        new RegExp(`^lanspread: web page: TCP port ${taken.addr.port} on 127.0.0.1 is in use`),
      );
    } finally {
      taken.close();
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "an exposed page logs its address with a generated token and refuses requests without it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    const peer = await PeerProcess.start({
      name: "organiser",
      gamesDir: t.path("games"),
      stateDir: t.path("state"),
      web: true,
      extraArgs: ["--web-host=0.0.0.0"],
    });
    try {
      const token = (await Deno.readTextFile(t.path("state", "web-token"))).trim();
      assertMatch(peer.webUrl, new RegExp(`:\\d+/\\?token=${token}$`));
      assertMatch(peer.stderr, /web page: http:\/\/[^ ]+\?token=/);
      const port = new URL(peer.webUrl).port;
      const status = `http://127.0.0.1:${port}/api/v1/status`;
      const refused = await fetch(status);
      assertEquals(refused.status, 401);
      await refused.body?.cancel();
      const ok = await fetch(status, { headers: { Authorization: `Bearer ${token}` } });
      assertEquals((await ok.json()).web.exposed, true);
      const page = await fetch(`http://127.0.0.1:${port}/?token=${token}`, { redirect: "manual" });
      assertEquals(page.status, 303);
      assertMatch(page.headers.get("set-cookie") ?? "", /HttpOnly/);
      await page.body?.cancel();
    } finally {
      await peer.shutdown();
      await t.cleanup();
    }
  },
});
