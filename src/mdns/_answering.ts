/**
 * What the responder says once it owns its names, and when: answers to
 * queries, announcements (answers nobody asked for) and goodbyes. The
 * responder decides whether to speak (its phase, its names, its
 * interfaces); this part decides which route an answer takes and when it
 * leaves, so the responder itself is left with probing and conflicts.
 *
 * Implements RFC 6762:
 * - §6 answering: unique answers at once, shared (PTR) answers after 20-120
 *   ms, after 400-500 ms when the query is truncated (§7.2); at most one
 *   multicast of a record per interface per second (250 ms to defend a
 *   probe); QU questions answered by unicast unless the record was not
 *   multicast on that interface for a quarter of its TTL (§5.4);
 * - §6.7 legacy unicast: a direct reply, at once;
 * - §7.2/§7.4: a querier's known answers, or another responder's multicast
 *   of the same record, withdraw a waiting answer;
 * - §8.3/§8.4 announcing: each announcement twice, one second apart;
 * - §10.1 goodbyes.
 *
 * Pure like the responder: time is an input, datagrams are the output.
 *
 * @module
 */
import { encodeResponse, type MdnsRecord } from "./packet.ts";
import { answerQuery, isKnown, legacyReply, type Role } from "./answers.ts";
import { MulticastQueue } from "./multicast_queue.ts";
import { isShared, type OwnRecords } from "./records.ts";
import type { Datagram, Destination, Endpoint, Random, Received } from "./types.ts";

/** Options of {@linkcode Answering}. */
export interface AnsweringOptions {
  /** Our mDNS port; queries from other ports are legacy. */
  mdnsPort: number;
  random: Random;
  /** Our record set on an interface; null if we have none there. */
  records: (iface: string) => OwnRecords | null;
  /** Ids of the interfaces we answer on. */
  ifaces: () => Iterable<string>;
}

const ANNOUNCEMENTS = 2;
const ANNOUNCE_INTERVAL_MS = 1000;
const MULTICAST_GAP_MS = 1000;
const PROBE_DEFENCE_GAP_MS = 250;

interface UnicastReply {
  dueAt: number;
  iface: string;
  to: Endpoint;
  answers: Role[];
  additionals: Role[];
}

/** Answers, announces and says goodbye for one service instance. */
export class Answering {
  readonly #o: AnsweringOptions;
  #announcements: { at: number; iface: string | null; roles: Role[] }[] = [];
  #queue = new MulticastQueue<Role>();
  #unicast: UnicastReply[] = [];

  constructor(options: AnsweringOptions) {
    this.#o = options;
  }

  /** Answers a query on `rx.iface`: returns a legacy reply, or schedules the answers. */
  query(rx: Received, records: OwnRecords, now: number): Datagram[] {
    const { packet, from } = rx;
    const asker = `${from.hostname}:${from.port}`;
    if (packet.answers.length > 0) {
      this.#queue.pruneKnown(rx.iface, asker, (role) => isKnown(records[role], packet.answers));
    }
    const { answers, additionals } = answerQuery(packet.questions, packet.answers, records);
    if (answers.length === 0) return [];
    const roles = answers.map((a) => a.role);
    if (from.port !== this.#o.mdnsPort) {
      const reply = legacyReply({ query: packet, records, answers: roles, additionals });
      return reply.map((data) => ({ iface: rx.iface, to: from, data }));
    }
    this.#schedule(rx, records, { answers, additionals }, now);
    return [];
  }

  /** Notes a response from someone else: its multicast answers count as ours (§7.4). */
  heardResponse(rx: Received, records: OwnRecords, now: number): void {
    if (rx.unicast) return;
    const all = [...rx.packet.answers, ...rx.packet.additionals];
    this.#queue.seenElsewhere(rx.iface, (role) => isKnown(records[role], all), now);
  }

  /** Announces `roles` twice, a second apart, on `iface` or (null) on every interface. */
  announce(now: number, iface: string | null, roles: Role[]): void {
    for (let i = 0; i < ANNOUNCEMENTS; i++) {
      this.#announcements.push({ at: now + i * ANNOUNCE_INTERVAL_MS, iface, roles });
    }
  }

  /** Announces a new TXT record on every interface (RFC 6762 §8.4). */
  announceTxt(now: number): void {
    // Rapid changes coalesce: pending TXT-only announcements are replaced,
    // and the queue's rate limit spaces what remains a second apart.
    this.#announcements = this.#announcements.filter((a) => a.roles.length > 1);
    this.announce(now, null, ["txt"]);
  }

  /** Sends what is due by `now`: announcements, multicast answers, unicast replies. */
  poll(now: number): Datagram[] {
    const due = this.#announcements.filter((a) => a.at <= now);
    this.#announcements = this.#announcements.filter((a) => a.at > now);
    for (const a of due) {
      for (const iface of a.iface === null ? this.#o.ifaces() : [a.iface]) {
        for (const role of a.roles) {
          this.#queue.add(iface, role, "answer", now, MULTICAST_GAP_MS, null);
        }
      }
    }
    const out: Datagram[] = [];
    for (const iface of this.#queue.due(now)) {
      const { answers, additionals } = this.#queue.take(iface, now);
      out.push(...this.#sendRoles(iface, "multicast", answers, additionals));
    }
    for (const u of this.#unicast) {
      if (u.dueAt <= now) out.push(...this.#sendRoles(u.iface, u.to, u.answers, u.additionals));
    }
    this.#unicast = this.#unicast.filter((u) => u.dueAt > now);
    return out;
  }

  /** When {@linkcode poll} next has work; Infinity if never. */
  nextDeadline(): number {
    let t = this.#queue.nextDeadline();
    for (const a of this.#announcements) t = Math.min(t, a.at);
    for (const u of this.#unicast) t = Math.min(t, u.dueAt);
    return t;
  }

  /** Goodbyes (TTL 0, RFC 6762 §10.1) on every interface. */
  goodbyes(): Datagram[] {
    // Not the services-enumeration PTR: every lanspread peer holds that same
    // record, so a goodbye for it would withdraw the others' too.
    const roles: Role[] = ["ptr", "srv", "txt", "a"];
    const out: Datagram[] = [];
    for (const iface of this.#o.ifaces()) {
      const records = this.#o.records(iface)!;
      out.push(
        ...this.#send(iface, "multicast", roles.map((r) => ({ ...records[r], ttl: 0 })), []),
      );
    }
    return out;
  }

  /** Forgets what waits for an interface that went away. */
  dropInterface(iface: string): void {
    this.#queue.dropInterface(iface);
  }

  /** Drops everything waiting: announcements, answers, unicast replies. */
  clear(): void {
    this.#queue.clear();
    this.#unicast = [];
    this.#announcements = [];
  }

  /** §6, §5.4: when the answers to a multicast-port query leave, and by which route. */
  #schedule(
    rx: Received,
    records: OwnRecords,
    { answers, additionals }: ReturnType<typeof answerQuery>,
    now: number,
  ): void {
    const { packet, from } = rx;
    const asker = `${from.hostname}:${from.port}`;
    const roles = answers.map((a) => a.role);
    const probe = packet.authorities.length > 0;
    const delay = probe
      ? 0
      : packet.truncated
      ? 400 + this.#o.random() * 100
      : roles.some((r) => isShared(records[r]))
      ? 20 + this.#o.random() * 100
      : 0;
    const gap = probe ? PROBE_DEFENCE_GAP_MS : MULTICAST_GAP_MS;
    const unicast: Role[] = [];
    for (const { role, qu } of answers) {
      const last = this.#queue.lastSent(rx.iface, role);
      const recent = last !== undefined && now - last < (records[role].ttl * 1000) / 4;
      if (!probe && (qu || rx.unicast) && recent) unicast.push(role);
      else this.#queue.add(rx.iface, role, "answer", now + delay, gap, asker);
    }
    const dueAt = now + delay;
    if (unicast.length > 0) {
      this.#unicast.push({ dueAt, iface: rx.iface, to: from, answers: unicast, additionals });
    }
    if (unicast.length < answers.length) {
      for (const role of additionals) {
        this.#queue.add(rx.iface, role, "additional", now + delay, MULTICAST_GAP_MS, asker);
      }
    }
  }

  #send(
    iface: string,
    to: Destination,
    answers: MdnsRecord[],
    additionals: MdnsRecord[],
  ): Datagram[] {
    return encodeResponse({ base: {}, answers, additionals }).map((data) => ({ iface, to, data }));
  }

  #sendRoles(iface: string, to: Destination, answers: Role[], additionals: Role[]): Datagram[] {
    const r = this.#o.records(iface);
    if (r && answers.length > 0) {
      return this.#send(
        iface,
        to,
        answers.map((x) => r[x]),
        additionals.map((x) => r[x]),
      );
    }
    return [];
  }
}
