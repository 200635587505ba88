/**
 * Generated placeholder covers: a colour picked from the game's name and its
 * initials, the same on every page and every peer. As an SVG document for
 * `GET games/:id/cover` and as a hue class for cards (no inline style: CSP).
 *
 * @module
 */

/** Hues of the placeholders; assets/styles_css.ts has a class `.hue-N` for each. */
export const HUES = [210, 260, 330, 20, 45, 150, 180, 290];

/** A stable index into {@linkcode HUES} for `name`. */
export function hueIndex(name: string): number {
  let x = 0;
  for (const ch of name) x = (x * 31 + ch.codePointAt(0)!) >>> 0;
  return x % HUES.length;
}

/** Up to two initials: "Half-Life 2" → "HL". */
export function initials(name: string): string {
  const words = name.split(/[\s\-_:.]+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  const letters = words.slice(0, 2).map((w) => [...w][0]!.toUpperCase());
  return letters.join("") || "?";
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG placeholder cover for `name`. */
export function placeholderSvg(name: string): string {
  const hue = HUES[hueIndex(name)]!;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 400" width="300" height="400">` +
    `<rect width="300" height="400" fill="hsl(${hue} 45% 28%)"/>` +
    `<text x="150" y="230" font-family="sans-serif" font-size="110" font-weight="700" ` +
    `text-anchor="middle" fill="hsl(${hue} 60% 85%)">${escape(initials(name))}</text></svg>`;
}
