/**
 * The page's icon (three linked peers), served as `/assets/icon.svg`.
 *
 * @module
 */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
  `<rect width="64" height="64" rx="14" fill="#4fa3ff"/>` +
  `<path d="M20 44 32 20 44 44Z" fill="none" stroke="#06121f" stroke-width="4"/>` +
  `<circle cx="32" cy="20" r="7" fill="#fff"/><circle cx="20" cy="44" r="7" fill="#fff"/>` +
  `<circle cx="44" cy="44" r="7" fill="#fff"/></svg>`;
