/**
 * A headless Chromium for browser tests, driven by `playwright-core` (npm;
 * test-only, never in the product's module graph). It may reach loopback
 * only: every other request is aborted and recorded, host names other than
 * 127.0.0.1 do not resolve, and Chromium's own background traffic is off.
 * Console errors, page errors and CSP violations are recorded too, so a test
 * can assert there were none.
 *
 * @module
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Chromium to drive: `LANSPREAD_CHROMIUM`, else Debian's. */
export const CHROMIUM = Deno.env.get("LANSPREAD_CHROMIUM") ?? "/usr/bin/chromium";

/** Where screenshots go (gitignored; CI keeps the folder). */
export const SCREENSHOTS = fileURLToPath(new URL("../artifacts/screenshots/", import.meta.url));

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set LANSPREAD_CHROMIUM)`;
  }
}

/** Flags that keep Chromium off the internet and quiet. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--metrics-recording-only",
  "--no-pings",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "about:") return true;
    return u.hostname === "127.0.0.1";
  } catch {
    return false;
  }
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests that tried to leave 127.0.0.1 (aborted). */
  outside: string[];
  /** Console errors, page errors and CSP violations. */
  problems: string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and one page watched for problems. */
export async function launch(
  options: { width?: number; height?: number } = {},
): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "lanspread-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    serviceWorkers: "block",
  });
  const outside: string[] = [];
  const problems: string[] = [];
  await context.route((url) => !isLoopbackUrl(url.href), (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const watch = (p: Page) => {
    p.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  };
  watch(page);
  context.on("page", watch);
  return {
    context,
    page,
    outside,
    problems,
    close: async () => {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Saves a full-page screenshot as `artifacts/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
