/**
 * Ordering of game versions (README "Where data lives"): "by numeric dot/dash segments, else
 * as strings".
 *
 * Choosing numeric or string comparison per *pair of versions* would not be a
 * total order ("9" < "10" numerically, "10" < "1a" and "1a" < "9" as
 * strings: a cycle), and download sources are picked by the highest version,
 * so the order must be consistent. Hence the choice is made per *segment*:
 *
 * 1. split both versions at `.` and `-`;
 * 2. compare segment by segment: two numeric segments by value (any length,
 *    leading zeros ignored), a numeric segment above a text segment, two text
 *    segments by UTF-16 code units;
 * 3. when one version is a prefix of the other, the longer one is higher;
 * 4. remaining ties ("1.01" vs "1.1", "1-0" vs "1.0") by the raw strings, so
 *    that 0 means equal strings.
 *
 * For purely numeric versions this is exactly numeric segment comparison:
 * "1.10" > "1.9", "2.0-3" > "2.0-2", "1.0.1" > "1.0".
 *
 * @module
 */

const NUMERIC = /^[0-9]+$/;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNumeric(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareStrings(x, y);
}

function compareSegments(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareNumeric(a, b);
  if (an !== bn) return an ? 1 : -1;
  return compareStrings(a, b);
}

/** Negative when `a` is lower than `b`, positive when higher, 0 only when `a === b`. */
export function compareVersions(a: string, b: string): number {
  const as = a.split(/[.-]/);
  const bs = b.split(/[.-]/);
  const common = Math.min(as.length, bs.length);
  for (let i = 0; i < common; i++) {
    const c = compareSegments(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  if (as.length !== bs.length) return as.length < bs.length ? -1 : 1;
  return compareStrings(a, b);
}

/** The highest of `versions` (undefined when empty). */
export function highestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const v of versions) {
    if (best === undefined || compareVersions(v, best) > 0) best = v;
  }
  return best;
}
