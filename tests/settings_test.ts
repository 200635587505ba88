/**
 * Settings through the JSONL harness of a real peer: changed at run time,
 * in force at once, kept in the state dir, and beaten by a flag.
 */
import { assertEquals, assertRejects } from "./assert.ts";
import { tempTree } from "./fixtures.ts";
import { HarnessError, inTree, PeerProcess } from "./peer_process.ts";

Deno.test({
  name: "settings change at run time, are announced, survive a restart, and a given flag wins",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempTree();
    let peer = await PeerProcess.start(inTree(t, "p"));
    try {
      const before = await peer.command("settings");
      assertEquals([before.name, before.uploadLimit, before.uploadsPerPeer], ["p", null, 8]);
      const after = await peer.command("settings", {
        name: "Party Host",
        playerName: "Ann",
        language: "german",
        uploadLimit: 12.5,
        uploadsPerPeer: 3,
      });
      assertEquals(
        [after.name, after.playerName, after.language, after.uploadLimit, after.uploadsPerPeer],
        ["Party Host", "Ann", "german", 12.5, 3],
      );
      const event = await peer.waitEvent("settings-changed");
      assertEquals((event.changed as string[]).sort(), [
        "language",
        "name",
        "playerName",
        "uploadLimit",
        "uploadsPerPeer",
      ]);
      assertEquals((await peer.command("status")).name, "Party Host");
      const bad = await assertRejects(
        () => peer.command("settings", { uploadsPerPeer: 0 }),
        HarnessError,
      );
      assertEquals(bad.record.code, "bad-request");
      await peer.shutdown();
      peer = await PeerProcess.start(inTree(t, "p", { name: "ignored" }));
      // PeerProcess always passes --name: the flag wins for this run, the rest is kept.
      const kept = await peer.command("settings");
      assertEquals([kept.name, kept.playerName, kept.uploadLimit], ["ignored", "Ann", 12.5]);
    } finally {
      await peer.shutdown();
      await t.cleanup();
    }
  },
});
