import { join } from "node:path";
import { assertEquals } from "../../../tests/assert.ts";
import { cleanValue, findTargets, replaceFirstLine, replacePersona, stampFiles } from "./stamp.ts";
import { commandLine, findCommand } from "./play.ts";

Deno.test("the first line is replaced, other lines and CRLF endings are kept", () => {
  assertEquals(replaceFirstLine("old\r\nsecond\r\n", "Ann"), "Ann\r\nsecond\r\n");
  assertEquals(replaceFirstLine("old\nsecond", "Ann"), "Ann\nsecond");
  assertEquals(replaceFirstLine("old", "Ann"), "Ann");
  assertEquals(replaceFirstLine("", "Ann"), "Ann");
});

Deno.test("only the PersonaName line of an ini changes", () => {
  const ini = "[SmartSteamEmu]\r\nAppId = 10\r\nPersonaName = Player\r\nLanguage = english\r\n";
  assertEquals(
    replacePersona(ini, "Ann"),
    "[SmartSteamEmu]\r\nAppId = 10\r\nPersonaName = Ann\r\nLanguage = english\r\n",
  );
  assertEquals(replacePersona("a=1\n", "Ann"), "a=1\n");
});

Deno.test("control characters never reach a config file", () => {
  assertEquals(cleanValue(" Ann\r\nPersonaName = x\u0000 "), "AnnPersonaName = x");
});

Deno.test("the first file of each name is found alphabetically depth-first, links skipped", async () => {
  const root = await Deno.makeTempDir();
  try {
    const put = async (path: string, text: string) => {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    await put("b/account_name.txt", "b\n");
    await put("a/deep/account_name.txt", "a\n");
    await put("z/language.txt", "german\r\n");
    await put("c/SmartSteamEmu.ini", "PersonaName = x\n");
    await Deno.symlink(join(root, "b"), join(root, "0link"));
    const found = await findTargets(root);
    assertEquals(found["account_name.txt"], join(root, "a/deep/account_name.txt"));
    const changed = await stampFiles(root, { playerName: "Ann", language: "french" });
    assertEquals(changed.length, 3);
    assertEquals(await Deno.readTextFile(join(root, "a/deep/account_name.txt")), "Ann\n");
    assertEquals(await Deno.readTextFile(join(root, "b/account_name.txt")), "b\n");
    assertEquals(await Deno.readTextFile(join(root, "z/language.txt")), "french\r\n");
    assertEquals(await Deno.readTextFile(join(root, "c/SmartSteamEmu.ini")), "PersonaName = Ann\n");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("start commands come from game.json, else the seed project's conventions", async () => {
  const game = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(game, "local/bin"), { recursive: true });
    await Deno.writeTextFile(join(game, "local/start.sh"), "true\n");
    await Deno.writeTextFile(join(game, "local/game_start.cmd"), "@echo off\r\n");
    assertEquals(await findCommand(game, "start", "linux"), join(game, "local/start.sh"));
    assertEquals(await findCommand(game, "start", "windows"), join(game, "local/game_start.cmd"));
    assertEquals(await findCommand(game, "server", "linux"), null);
    await Deno.writeTextFile(join(game, "local/bin/run.sh"), "true\n");
    await Deno.writeTextFile(join(game, "game.json"), JSON.stringify({ start: "bin/run.sh" }));
    assertEquals(await findCommand(game, "start", "linux"), join(game, "local/bin/run.sh"));
    await Deno.writeTextFile(join(game, "game.json"), JSON.stringify({ start: "../escape.sh" }));
    assertEquals(await findCommand(game, "start", "linux"), join(game, "local/start.sh"));
  } finally {
    await Deno.remove(game, { recursive: true });
  }
});

Deno.test("cmd files run through cmd /c on Windows, shell scripts through sh", () => {
  assertEquals(commandLine("C:\\g\\game_start.cmd", "windows"), ["cmd", [
    "/c",
    "C:\\g\\game_start.cmd",
  ]]);
  assertEquals(commandLine("/g/start.sh", "linux"), ["sh", ["/g/start.sh"]]);
  assertEquals(commandLine("/g/game.bin", "linux"), ["/g/game.bin", []]);
});
