/**
 * Opens the page in the user's default browser, as a player who
 * double-clicked the executable expects: `xdg-open` on Linux and the BSDs
 * (only with a display), `open` on macOS, `cmd /c start` on Windows.
 *
 * @module
 */
import type { Logger } from "../common/log.ts";

/** The command that opens `url`, or null when there is no desktop to open it on. */
export function browserCommand(
  os: typeof Deno.build.os,
  env: (name: string) => string | undefined,
  url: string,
): string[] | null {
  if (os === "windows") return ["cmd", "/c", "start", '""', url];
  if (os === "darwin") return ["open", url];
  if (!env("DISPLAY") && !env("WAYLAND_DISPLAY")) return null;
  return ["xdg-open", url];
}

/** Runs the command without waiting for it; a failure is a warning, never fatal. */
export function openBrowser(command: string[], log: Logger): void {
  const [cmd, ...args] = command;
  try {
    const child = new Deno.Command(cmd!, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      windowsRawArguments: cmd === "cmd",
    }).spawn();
    child.status.then((s) => {
      if (!s.success) log.warn(`could not open a browser (${cmd} exited with ${s.code})`);
    }).catch(() => {});
    child.unref();
  } catch (error) {
    log.warn(`could not open a browser: ${(error as Error).message}`);
  }
}
