/**
 * The page's assets, all inside the module graph (README "Development": the executable
 * is self-contained): the client module, the style sheet and the icon. Each
 * is served under a name with its content hash, cached for good.
 *
 * @module
 */
import { Hono } from "hono";
import CLIENT_JS from "./assets/client.js" with { type: "text" };
import { STYLES_CSS } from "./assets/styles_css.ts";
import { ICON_SVG } from "./assets/icon_svg.ts";

/** FNV-1a of a string, as 8 hex digits: enough to bust a cache. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

const ASSETS = {
  js: { path: `/assets/app.${shortHash(CLIENT_JS)}.js`, body: CLIENT_JS, type: "text/javascript" },
  css: { path: `/assets/app.${shortHash(STYLES_CSS)}.css`, body: STYLES_CSS, type: "text/css" },
  icon: { path: "/assets/icon.svg", body: ICON_SVG, type: "image/svg+xml" },
} as const;

/** Where each asset is served. */
export const ASSET_PATHS = {
  js: ASSETS.js.path,
  css: ASSETS.css.path,
  icon: ASSETS.icon.path,
} as const;

/** Bytes of every asset (the benchmark reports them beside the page). */
export function assetBytes(): Record<keyof typeof ASSETS, number> {
  const size = (s: string) => new TextEncoder().encode(s).length;
  return { js: size(CLIENT_JS), css: size(STYLES_CSS), icon: size(ICON_SVG) };
}

/** Serves the assets. */
export function assetRoutes(): Hono {
  const app = new Hono();
  for (const asset of Object.values(ASSETS)) {
    app.get(asset.path, (c) =>
      c.body(asset.body, 200, {
        "Content-Type": `${asset.type}; charset=utf-8`,
        "Cache-Control": "public, max-age=31536000, immutable",
      }));
  }
  return app;
}
