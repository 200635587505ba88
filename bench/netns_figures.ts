/**
 * Repeated figures of the namespace bench: samples by name, printed as the
 * median with the range of the runs ("85 [77-87]"), and the table layout.
 * Ratios are taken within each run (same moment, same machine load) and then
 * summarised, never divided across runs.
 *
 * @module
 */

/** Samples of one cell, by name. */
export class Samples {
  #by = new Map<string, number[]>();

  add(name: string, value: number | null | undefined): void {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    const list = this.#by.get(name) ?? [];
    list.push(value);
    this.#by.set(name, list);
  }

  get(name: string): number[] {
    return this.#by.get(name) ?? [];
  }

  median(name: string): number {
    const xs = [...this.get(name)].sort((a, b) => a - b);
    if (xs.length === 0) return NaN;
    const mid = xs.length >> 1;
    return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  }

  /** "median [min-max]" (just the value for one run) through `unit`. */
  fmt(name: string, unit: (x: number) => string = (x) => x.toFixed(0)): string {
    const xs = this.get(name);
    if (xs.length === 0) return "-";
    const m = unit(this.median(name));
    if (xs.length === 1) return m;
    return `${m} [${unit(Math.min(...xs))}-${unit(Math.max(...xs))}]`;
  }
}

export const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
export const times = (x: number) => `${x.toFixed(2)}x`;
export const one = (x: number) => x.toFixed(1);

/** A printed cell: a heading and rows of a label and columns. */
export interface CellTable {
  name: string;
  title: string;
  rows: string[][];
  notes: string[];
}

/** Prints one cell as soon as it is done, so that a later failure loses nothing. */
export function printCell(c: CellTable): void {
  console.log(`${c.name.padEnd(13)}${c.title}`);
  const widths: number[] = [];
  for (const row of c.rows) {
    row.forEach((text, i) => (widths[i] = Math.max(widths[i] ?? 0, text.length)));
  }
  for (const row of c.rows) {
    console.log(`  ${row.map((text, i) => text.padEnd(widths[i]! + 2)).join("").trimEnd()}`);
  }
  for (const note of c.notes) console.log(`  note: ${note}`);
}
