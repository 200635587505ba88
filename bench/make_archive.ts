/**
 * Writes one benchmark archive in its own process (so that generating a
 * gigabyte never pollutes the memory or the event loop of what is measured):
 * `deno run -A bench/make_archive.ts FORMAT PATH MIB` with FORMAT one of
 * `zip`, `tar.gz`, `rar`. Files of 8 MiB of game-like data, half incompressible.
 *
 * @module
 */
import { gameBytes, writeRar5, writeTar, writeZip } from "../tests/fixtures/archives.ts";

const FILE = 8 << 20;

function* files(mib: number) {
  for (let i = 0; i < Math.max(1, mib / 8); i++) {
    yield { name: `data/pak${i}.bin`, data: gameBytes(FILE, i + 1) };
  }
}

export async function makeArchive(format: string, path: string, mib: number): Promise<void> {
  if (format === "zip") writeZip(path, files(mib));
  else if (format === "tar.gz") await writeTar(path, files(mib), { gzip: true });
  else if (format === "rar") writeRar5(path, files(mib));
  else throw new Error(`unknown format ${format}`);
}

if (import.meta.main) {
  const [format, path, mib] = Deno.args;
  await makeArchive(format!, path!, Number(mib));
}
