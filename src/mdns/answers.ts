/**
 * Which of our records answer a query: pure functions of the questions, the
 * query's known answers and our record set.
 *
 * - Question matching (RFC 6762 §6): name, type or ANY, class IN or ANY;
 *   for our host name and a type we do not have, the NSEC record asserts its
 *   absence (§6.1).
 * - Additional records (RFC 6763 §12): a PTR answer brings SRV, TXT, A and
 *   NSEC; SRV brings A and NSEC.
 * - Known-answer suppression (RFC 6762 §7.1): a record the querier listed
 *   with at least half our TTL left is not sent again.
 * - Legacy unicast replies (RFC 6762 §6.7).
 *
 * @module
 */
import {
  encodeResponse,
  type MdnsPacket,
  type MdnsQuestion,
  type MdnsRecord,
  sameName,
  sameRecord,
} from "./packet.ts";
import { LEGACY_TTL, type OwnRecords, SERVICE_TYPE, SERVICES_ENUMERATION } from "./records.ts";

/** A record of ours by its role. */
export type Role = keyof OwnRecords;

/** Roles we answer a question with (empty: not ours to answer). */
export function answerRoles(question: MdnsQuestion, records: OwnRecords): Role[] {
  if (question.class !== 1 && question.class !== 255) return [];
  const { name, type } = question;
  const any = type === "ANY";
  if (sameName(name, SERVICE_TYPE)) return any || type === "PTR" ? ["ptr"] : [];
  if (sameName(name, SERVICES_ENUMERATION)) return any || type === "PTR" ? ["enumeration"] : [];
  if (sameName(name, records.srv.name)) {
    if (any) return ["srv", "txt"];
    return type === "SRV" ? ["srv"] : type === "TXT" ? ["txt"] : [];
  }
  if (sameName(name, records.a.name)) {
    if (any) return ["a"];
    return type === "A" ? ["a"] : ["nsec"];
  }
  return [];
}

const ADDITIONAL: Record<Role, Role[]> = {
  ptr: ["srv", "txt", "a", "nsec"],
  srv: ["a", "nsec"],
  a: ["nsec"],
  txt: [],
  nsec: [],
  enumeration: [],
};

/** Roles worth adding as additional records, minus those already answered. */
export function additionalRoles(answers: Role[]): Role[] {
  const out = new Set<Role>();
  for (const role of answers) for (const extra of ADDITIONAL[role]) out.add(extra);
  for (const role of answers) out.delete(role);
  return [...out];
}

/** Whether `knownAnswers` hold `record` with at least half its TTL left (RFC 6762 §7.1). */
export function isKnown(record: MdnsRecord, knownAnswers: MdnsRecord[]): boolean {
  return knownAnswers.some((k) => k.ttl * 2 >= record.ttl && sameRecord(k, record));
}

/** The answer and additional roles for a whole query, after known-answer suppression. */
export function answerQuery(
  questions: MdnsQuestion[],
  knownAnswers: MdnsRecord[],
  records: OwnRecords,
): { answers: { role: Role; qu: boolean }[]; additionals: Role[] } {
  const answers = new Map<Role, boolean>();
  for (const question of questions) {
    for (const role of answerRoles(question, records)) {
      if (isKnown(records[role], knownAnswers)) continue;
      answers.set(role, (answers.get(role) ?? true) && question.qu);
    }
  }
  const roles = [...answers.keys()];
  const additionals = additionalRoles(roles).filter((r) => !isKnown(records[r], knownAnswers));
  return { answers: roles.map((role) => ({ role, qu: answers.get(role)! })), additionals };
}

/** Whether `name` is one of the unique names we own (instance or host). */
export function isOwnUniqueName(name: string, records: OwnRecords): "instance" | "host" | null {
  if (sameName(name, records.srv.name)) return "instance";
  if (sameName(name, records.a.name)) return "host";
  return null;
}

/**
 * The reply to a legacy (one-shot, source port not 5353) query, §6.7: a
 * plain DNS resolver waits for one direct answer that echoes its id and
 * questions; it knows nothing of cache-flush, and TTLs are capped at 10 s.
 */
export function legacyReply(options: {
  query: MdnsPacket;
  records: OwnRecords;
  answers: Role[];
  additionals: Role[];
}): Uint8Array[] {
  const { query, records, answers, additionals } = options;
  const legacy = (role: Role): MdnsRecord => ({
    ...records[role],
    flush: false,
    ttl: Math.min(records[role].ttl, LEGACY_TTL),
  });
  const base = { id: query.id, questions: query.questions.map((q) => ({ ...q, qu: false })) };
  return encodeResponse({
    base,
    answers: answers.map(legacy),
    additionals: additionals.map(legacy),
  });
}
