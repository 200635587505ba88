/**
 * Multi-volume RAR sets by their names: `name.part1.rar, name.part2.rar, …`
 * (RAR 3+ naming, any number of digits) and `name.rar, name.r00, name.r01, …`
 * (the older naming). A set is named by its first volume; every other RAR
 * file is a set of one.
 *
 * @module
 */

/** RAR files grouped into a set; `problem` says why the set cannot be read whole. */
export interface VolumeGroup {
  /** The first volume's name (or the name it should have, when it is missing). */
  name: string;
  /** File names in volume order. */
  volumes: string[];
  /** A missing or doubled volume, named. */
  problem?: string;
}

interface Volume {
  key: string;
  index: number;
  file: string;
  /** The name volume `i` would have in this set. */
  nameOf: (i: number) => string;
}

function parseVolume(file: string): Volume | null {
  const part = /^(.*)\.part(\d+)\.rar$/i.exec(file);
  if (part) {
    const [, base, digits] = part as unknown as [string, string, string];
    const nameOf = (i: number) => `${base}.part${String(i + 1).padStart(digits.length, "0")}.rar`;
    return { key: `part:${base}`, index: Number(digits) - 1, file, nameOf };
  }
  const old = /^(.*)\.(rar|r(\d\d))$/i.exec(file);
  if (old) {
    const [, base, , digits] = old as unknown as [string, string, string, string | undefined];
    const nameOf = (i: number) =>
      i === 0 ? `${base}.rar` : `${base}.r${String(i - 1).padStart(2, "0")}`;
    return {
      key: `old:${base}`,
      index: digits === undefined ? 0 : Number(digits) + 1,
      file,
      nameOf,
    };
  }
  return null;
}

/** Groups RAR file names into sets (in no particular order). */
export function groupVolumes(files: string[]): VolumeGroup[] {
  const groups: VolumeGroup[] = [];
  const byKey = new Map<string, Volume[]>();
  for (const file of files) {
    const volume = parseVolume(file);
    if (!volume) {
      groups.push({ name: file, volumes: [file] });
      continue;
    }
    const list = byKey.get(volume.key) ?? [];
    list.push(volume);
    byKey.set(volume.key, list);
  }
  for (const list of byKey.values()) {
    list.sort((a, b) => a.index - b.index);
    const first = list[0]!;
    const group: VolumeGroup = { name: first.nameOf(0), volumes: list.map((v) => v.file) };
    const doubled = list.find((v, i) => i > 0 && v.index === list[i - 1]!.index);
    const gap = list.findIndex((v, i) => v.index !== i);
    if (doubled) group.problem = `two files are volume ${doubled.index + 1}: ${doubled.file}`;
    else if (gap >= 0) group.problem = `volume ${first.nameOf(gap)} is missing`;
    groups.push(group);
  }
  return groups;
}
