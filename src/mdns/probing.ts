/**
 * The decisions of probing and conflict resolution, as pure functions
 * (RFC 6762 §8.1, §8.2, §9). The responder keeps the state and timing.
 *
 * @module
 */
import {
  compareRecordSets,
  encodePacket,
  makePacket,
  type MdnsRecord,
  sameName,
} from "./packet.ts";
import { isOwnUniqueName } from "./answers.ts";
import type { OwnRecords } from "./records.ts";

/**
 * A probe (§8.1): "ANY" questions for our instance and host names with the
 * unicast-response bit, and the records we propose in the authority
 * section so that a simultaneous prober can compare (§8.2).
 */
export function probePacket(records: OwnRecords): Uint8Array {
  const questions = [records.srv.name, records.a.name].map((name) => ({
    name,
    type: "ANY",
    class: 1,
    qu: true,
  }));
  return encodePacket(
    makePacket({ questions, authorities: [records.srv, records.txt, records.a] }),
  );
}

/**
 * §8.2 tie-break against another host's probe: the name we lost, or null.
 * For each of our names the other host proposes records for, the sorted
 * record sets are compared; the lexicographically earlier one loses.
 */
export function lostTieBreak(authorities: MdnsRecord[], records: OwnRecords): string | null {
  const sets: [string, MdnsRecord[]][] = [
    [records.srv.name, [records.srv, records.txt]],
    [records.a.name, [records.a]],
  ];
  for (const [name, ours] of sets) {
    const theirs = authorities.filter((r) => sameName(r.name, name));
    if (theirs.length > 0 && compareRecordSets(ours, theirs) < 0) return name;
  }
  return null;
}

/**
 * §9: the first record in a response that claims one of our unique names
 * with data that is not ours (goodbyes excepted), and which name it is.
 */
export function findConflict(
  answers: MdnsRecord[],
  records: OwnRecords,
  isOurs: (record: MdnsRecord) => boolean,
): { owned: "instance" | "host"; record: MdnsRecord } | null {
  for (const record of answers) {
    const owned = isOwnUniqueName(record.name, records);
    if (owned && record.ttl > 0 && !isOurs(record)) return { owned, record };
  }
  return null;
}
