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
import { type MdnsRecord, sameRecord } from "./packet.ts";
import type { Role } from "./answers.ts";
import { findConflict, lostTieBreak, probePacket } from "./probing.ts";
import { Answering } from "./_answering.ts";
import {
  hostName,
  instanceLabel,
  nextInstanceLabel,
  type OwnRecords,
  ownRecords,
  type ServiceIdentity,
} from "./records.ts";
import {
  type Datagram,
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
const ANNOUNCED: Role[] = ["ptr", "srv", "txt", "a", "nsec"];

type Phase = "idle" | "probing" | "running" | "stopped";

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
  #out: Datagram[] = [];
  readonly #answering: Answering;
  readonly #random: Random;
  readonly #log: Logger;

  constructor(options: ResponderOptions) {
    this.#id = {
      label: instanceLabel(options.name),
      host: hostName(options.peerId),
      port: options.port,
      txt: { peerId: options.peerId, protocolVersion: options.protocolVersion, rev: options.rev },
    };
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLogger;
    this.#answering = new Answering({
      mdnsPort: options.mdnsPort ?? MDNS_PORT,
      random: this.#random,
      records: (iface) => this.records(iface),
      ifaces: () => this.#ifaces.keys(),
    });
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
      if (!list.some((i) => i.id === id)) this.#answering.dropInterface(id);
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
    this.#answering.announceTxt(now);
  }

  /** Handles a query (QR=0). */
  handleQuery(rx: Received, now: number): void {
    if (this.#phase === "probing") return this.#tieBreak(rx, now);
    if (this.#phase !== "running") return;
    const records = this.records(rx.iface);
    if (!records) return;
    this.#out.push(...this.#answering.query(rx, records, now));
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
    this.#answering.heardResponse(rx, records, now);
  }

  /** Runs everything due by `now`; returns datagrams to send. */
  poll(now: number): Datagram[] {
    if (this.#phase === "probing" && now >= this.#probeAt) this.#probe(now);
    this.#out.push(...this.#answering.poll(now));
    return this.#out.splice(0);
  }

  /** When {@linkcode poll} next has work; Infinity if never. */
  nextDeadline(): number {
    if (this.#out.length > 0) return -Infinity;
    const probeAt = this.#phase === "probing" ? this.#probeAt : Infinity;
    return Math.min(probeAt, this.#answering.nextDeadline());
  }

  /** Stops; returns goodbye datagrams (TTL 0, RFC 6762 §10.1) if we had announced. */
  stop(): Datagram[] {
    const wasRunning = this.#phase === "running";
    this.#phase = "stopped";
    this.#answering.clear();
    if (!wasRunning) return [];
    this.#out.push(...this.#answering.goodbyes());
    return this.#out.splice(0);
  }

  #beginProbing(now: number, delay: number): void {
    this.#phase = "probing";
    this.#probesSent = 0;
    this.#probeAt = now + delay;
    this.#answering.clear();
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
      this.#answering.announce(now, null, ANNOUNCED);
      return;
    }
    for (const iface of this.#ifaces.keys()) {
      this.#out.push({ iface, to: "multicast", data: probePacket(this.records(iface)!) });
    }
    this.#probesSent++;
    this.#probeAt = now + PROBE_INTERVAL_MS;
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
