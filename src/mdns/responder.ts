/**
 * The mDNS responder for our one service instance, as a pure state machine:
 * packets and the current time go in, datagrams come out, and
 * {@linkcode Responder.nextDeadline} says when to call {@linkcode Responder.poll}.
 *
 * Implements RFC 6762:
 * - §8.1 probing: three probes 250 ms apart (QU questions for our instance
 *   and host names, proposed records in the authority section), after a
 *   random 0-250 ms delay;
 * - §8.2 simultaneous-probe tie-breaking: the lexicographically later record
 *   set wins, the loser probes again after one second;
 * - §9 conflicts: a conflicting answer while probing renames the instance
 *   ("name (2)") or host; one while running sends us back to probing; more
 *   than 15 conflicts in 10 s slow probing to one try per 5 s;
 * - §8.3/§8.4 announcing: two unsolicited responses one second apart, and
 *   (TXT only) again on every revision change; a new interface means
 *   probing and announcing again (§13);
 * - §6 answering: unique answers at once, shared (PTR) answers after 20-120
 *   ms, after 400-500 ms when the query is truncated (§7.2); at most one
 *   multicast of a record per interface per second (250 ms to defend a
 *   probe); QU questions answered by unicast unless the record was not
 *   multicast on that interface for a quarter of its TTL (§5.4);
 * - §6.7 legacy unicast: queries from a port other than 5353 get a direct
 *   reply with the query id and questions, TTLs capped at 10 s, no
 *   cache-flush bits;
 * - §7.1-§7.4 known-answer and duplicate-answer suppression;
 * - §10.1 goodbyes: TTL 0 for everything on stop.
 *
 * @module
 */
import { type Logger, silentLogger } from "../common/log.ts";
import { encodeResponse, type MdnsRecord, sameRecord } from "./packet.ts";
import { answerQuery, isKnown, legacyReply, type Role } from "./answers.ts";
import { findConflict, lostTieBreak, probePacket } from "./probing.ts";
import { MulticastQueue } from "./multicast_queue.ts";
import {
  hostName,
  instanceLabel,
  isShared,
  nextInstanceLabel,
  type OwnRecords,
  ownRecords,
  type ServiceIdentity,
} from "./records.ts";
import {
  type Datagram,
  type Destination,
  type Endpoint,
  type IfaceAddress,
  MDNS_PORT,
  type Random,
  type Received,
} from "./types.ts";

/** Options of {@linkcode Responder}. */
export interface ResponderOptions {
  /** Wanted instance label (the peer name); sanitised by `instanceLabel`. */
  name: string;
  peerId: string;
  /** QUIC port published in SRV. */
  port: number;
  protocolVersion: number;
  rev: number;
  /** Our mDNS port; queries from other ports are legacy. @default {5353} */
  mdnsPort?: number;
  /** @default {Math.random} */
  random?: Random;
  /** @default {silentLogger} */
  log?: Logger;
}

const PROBES = 3;
const PROBE_INTERVAL_MS = 250;
const ANNOUNCEMENTS = 2;
const ANNOUNCE_INTERVAL_MS = 1000;
const MULTICAST_GAP_MS = 1000;
const PROBE_DEFENCE_GAP_MS = 250;
const ANNOUNCED: Role[] = ["ptr", "srv", "txt", "a", "nsec"];

type Phase = "idle" | "probing" | "running" | "stopped";

interface UnicastReply {
  dueAt: number;
  iface: string;
  to: Endpoint;
  answers: Role[];
  additionals: Role[];
}

/** Probes, announces, defends and answers for one service instance. */
export class Responder {
  #phase: Phase = "idle";
  #started = false;
  #id: ServiceIdentity;
  #hostAttempt = 1;
  #ifaces = new Map<string, string>();
  #generations = new Map<string, number>();
  #probeAt = Infinity;
  #probesSent = 0;
  #conflicts: number[] = [];
  #announcements: { at: number; iface: string | null; roles: Role[] }[] = [];
  #queue = new MulticastQueue<Role>();
  #unicast: UnicastReply[] = [];
  #out: Datagram[] = [];
  readonly #mdnsPort: number;
  readonly #random: Random;
  readonly #log: Logger;

  constructor(options: ResponderOptions) {
    this.#id = {
      label: instanceLabel(options.name),
      host: hostName(options.peerId),
      port: options.port,
      txt: { peerId: options.peerId, protocolVersion: options.protocolVersion, rev: options.rev },
    };
    this.#mdnsPort = options.mdnsPort ?? MDNS_PORT;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLogger;
  }

  /** Instance label, after conflict resolution. */
  get label(): string {
    return this.#id.label;
  }

  /** Host name, after conflict resolution. */
  get host(): string {
    return this.#id.host;
  }

  /** Whether probing has finished and we own our names. */
  get running(): boolean {
    return this.#phase === "running";
  }

  /** Our record set on an interface (for tests and the browser's self filter). */
  records(iface: string): OwnRecords | null {
    const address = this.#ifaces.get(iface);
    return address === undefined ? null : ownRecords(this.#id, address);
  }

  /** Begins probing once an interface exists. */
  start(now: number): void {
    this.#started = true;
    if (this.#ifaces.size > 0) this.#beginProbing(now, this.#random() * PROBE_INTERVAL_MS);
  }

  /** Replaces the interface list; a new interface means probing and announcing again. */
  setInterfaces(list: IfaceAddress[], now: number): void {
    const added = list.filter((i) =>
      !this.#ifaces.has(i.id) || this.#generations.get(i.id) !== (i.generation ?? 0)
    );
    for (const id of this.#ifaces.keys()) {
      if (!list.some((i) => i.id === id)) this.#queue.dropInterface(id);
    }
    this.#ifaces = new Map(list.map((i) => [i.id, i.address]));
    this.#generations = new Map(list.map((i) => [i.id, i.generation ?? 0]));
    // A new link may hold our names already: probe again, on every
    // interface, then announce (RFC 6762 §8.1, §13).
    const reprobe = this.#phase === "running" && added.length > 0;
    if ((this.#phase === "idle" && this.#started && list.length > 0) || reprobe) {
      this.#beginProbing(now, this.#random() * PROBE_INTERVAL_MS);
    }
  }

  /** Publishes a new library revision: TXT re-announced twice (RFC 6762 §8.4). */
  setRevision(rev: number, now: number): void {
    if (this.#id.txt.rev === rev) return;
    this.#id = { ...this.#id, txt: { ...this.#id.txt, rev } };
    if (this.#phase !== "running") return;
    // Rapid changes coalesce: pending TXT-only announcements are replaced,
    // and the queue's rate limit spaces what remains a second apart.
    this.#announcements = this.#announcements.filter((a) => a.roles.length > 1);
    this.#announce(now, null, ["txt"]);
  }

  /** Handles a query (QR=0). */
  handleQuery(rx: Received, now: number): void {
    if (this.#phase === "probing") return this.#tieBreak(rx, now);
    if (this.#phase !== "running") return;
    const records = this.records(rx.iface);
    if (!records) return;
    const { packet, from } = rx;
    const asker = `${from.hostname}:${from.port}`;
    if (packet.answers.length > 0) {
      this.#queue.pruneKnown(rx.iface, asker, (role) => isKnown(records[role], packet.answers));
    }
    const { answers, additionals } = answerQuery(packet.questions, packet.answers, records);
    if (answers.length === 0) return;
    const roles = answers.map((a) => a.role);
    if (from.port !== this.#mdnsPort) {
      for (const data of legacyReply({ query: packet, records, answers: roles, additionals })) {
        this.#out.push({ iface: rx.iface, to: from, data });
      }
      return;
    }
    const probe = packet.authorities.length > 0;
    const delay = probe
      ? 0
      : packet.truncated
      ? 400 + this.#random() * 100
      : roles.some((r) => isShared(records[r]))
      ? 20 + this.#random() * 100
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

  /** Handles a response (QR=1) from someone else: conflicts and duplicate answers. */
  handleResponse(rx: Received, now: number): void {
    if (this.#phase !== "probing" && this.#phase !== "running") return;
    const records = this.records(rx.iface);
    if (!records) return;
    const all = [...rx.packet.answers, ...rx.packet.additionals];
    const conflict = findConflict(all, records, (r) => this.#isOurs(r));
    if (conflict) {
      const { owned, record } = conflict;
      this.#log.info(
        `conflict on ${owned} name ${record.name} (${record.type}, ${rx.from.hostname})`,
      );
      return this.#conflict(owned, now);
    }
    if (!rx.unicast) {
      this.#queue.seenElsewhere(rx.iface, (role) => isKnown(records[role], all), now);
    }
  }

  /** Runs everything due by `now`; returns datagrams to send. */
  poll(now: number): Datagram[] {
    if (this.#phase === "probing" && now >= this.#probeAt) this.#probe(now);
    const due = this.#announcements.filter((a) => a.at <= now);
    this.#announcements = this.#announcements.filter((a) => a.at > now);
    for (const a of due) {
      for (const iface of a.iface === null ? this.#ifaces.keys() : [a.iface]) {
        for (const role of a.roles) {
          this.#queue.add(iface, role, "answer", now, MULTICAST_GAP_MS, null);
        }
      }
    }
    for (const iface of this.#queue.due(now)) {
      const { answers, additionals } = this.#queue.take(iface, now);
      this.#sendRoles(iface, "multicast", answers, additionals);
    }
    for (const u of this.#unicast) {
      if (u.dueAt <= now) this.#sendRoles(u.iface, u.to, u.answers, u.additionals);
    }
    this.#unicast = this.#unicast.filter((u) => u.dueAt > now);
    return this.#out.splice(0);
  }

  /** When {@linkcode poll} next has work; Infinity if never. */
  nextDeadline(): number {
    if (this.#out.length > 0) return -Infinity;
    let t = this.#phase === "probing" ? this.#probeAt : this.#queue.nextDeadline();
    if (this.#phase === "probing") t = Math.min(t, this.#queue.nextDeadline());
    for (const a of this.#announcements) t = Math.min(t, a.at);
    for (const u of this.#unicast) t = Math.min(t, u.dueAt);
    return t;
  }

  /** Stops; returns goodbye datagrams (TTL 0, RFC 6762 §10.1) if we had announced. */
  stop(): Datagram[] {
    const wasRunning = this.#phase === "running";
    this.#phase = "stopped";
    this.#queue.clear();
    this.#unicast = [];
    this.#announcements = [];
    if (!wasRunning) return [];
    // Not the services-enumeration PTR: every lanspread peer holds that same
    // record, so a goodbye for it would withdraw the others' too.
    const roles: Role[] = ["ptr", "srv", "txt", "a"];
    for (const iface of this.#ifaces.keys()) {
      const records = this.records(iface)!;
      this.#send(iface, "multicast", roles.map((r) => ({ ...records[r], ttl: 0 })), []);
    }
    return this.#out.splice(0);
  }

  #send(iface: string, to: Destination, answers: MdnsRecord[], additionals: MdnsRecord[]): void {
    for (const data of encodeResponse({ base: {}, answers, additionals })) {
      this.#out.push({ iface, to, data });
    }
  }

  #sendRoles(iface: string, to: Destination, answers: Role[], additionals: Role[]): void {
    const r = this.records(iface);
    if (r && answers.length > 0) {
      this.#send(
        iface,
        to,
        answers.map((x) => r[x]),
        additionals.map((x) => r[x]),
      );
    }
  }

  #beginProbing(now: number, delay: number): void {
    this.#phase = "probing";
    this.#probesSent = 0;
    this.#probeAt = now + delay;
    this.#announcements = [];
    this.#queue.clear();
    this.#unicast = [];
  }

  #probe(now: number): void {
    if (this.#ifaces.size === 0) {
      // Nothing to probe on: wait for an interface (setInterfaces restarts).
      this.#phase = "idle";
      return;
    }
    if (this.#probesSent === PROBES) {
      this.#phase = "running";
      this.#log.info(`announcing ${this.#id.label} (host ${this.#id.host})`);
      this.#announce(now, null, ANNOUNCED);
      return;
    }
    for (const iface of this.#ifaces.keys()) {
      this.#out.push({ iface, to: "multicast", data: probePacket(this.records(iface)!) });
    }
    this.#probesSent++;
    this.#probeAt = now + PROBE_INTERVAL_MS;
  }

  #announce(now: number, iface: string | null, roles: Role[]): void {
    for (let i = 0; i < ANNOUNCEMENTS; i++) {
      this.#announcements.push({ at: now + i * ANNOUNCE_INTERVAL_MS, iface, roles });
    }
  }

  #isOurs(record: MdnsRecord): boolean {
    for (const iface of this.#ifaces.keys()) {
      const r = this.records(iface)!;
      if ([r.srv, r.txt, r.a, r.nsec].some((own) => sameRecord(own, record))) return true;
    }
    return false;
  }

  #conflict(owned: "instance" | "host", now: number): void {
    this.#conflicts = [...this.#conflicts.filter((t) => now - t < 10_000), now];
    if (this.#phase === "probing" && owned === "instance") {
      this.#id = { ...this.#id, label: nextInstanceLabel(this.#id.label) };
    } else if (this.#phase === "probing") {
      this.#id = { ...this.#id, host: hostName(this.#id.txt.peerId, ++this.#hostAttempt) };
    }
    if (this.#phase === "probing") {
      this.#log.info(`name taken; trying ${this.#id.label} (host ${this.#id.host})`);
    }
    // §9: after 15 conflicts in 10 s, wait 5 s before each new attempt.
    this.#beginProbing(now, this.#conflicts.length >= 15 ? 5000 : 0);
  }

  /** §8.2: another host probes for one of our names while we probe. */
  #tieBreak(rx: Received, now: number): void {
    const records = this.records(rx.iface);
    const lost = records && lostTieBreak(rx.packet.authorities, records);
    if (!lost) return;
    this.#log.debug(`lost a simultaneous probe for ${lost}; probing again in 1 s`);
    this.#beginProbing(now, 1000);
  }
}
