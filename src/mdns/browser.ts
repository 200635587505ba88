/**
 * The DNS-SD browser for `_lanspread._udp.local`, as a pure state machine
 * over injected time: it caches what responders say, asks what it lacks,
 * and turns the cache into a list of peers.
 *
 * Implements RFC 6762 / RFC 6763:
 * - §5.2 continuous querying: the first PTR query 20-120 ms after start,
 *   with the QU bit (§5.4) so responders can answer at once by unicast;
 *   then 1 s, 2 s, 4 s ... up to 60 minutes apart; again from the start
 *   when an interface appears;
 * - §5.2 refresh queries at 80-95 % of each cached record's TTL;
 * - §7.1 known-answer suppression: every query lists what we already hold;
 *   §7.2 long lists span several packets with TC set;
 * - §7.3 duplicate question suppression: another host's identical QM
 *   question counts as ours;
 * - RFC 6763 §12 resolution: an instance whose SRV, TXT or address is
 *   missing is asked for explicitly (1, 2, 4, 8 s); an instance that never
 *   resolves is dropped;
 * - only records of our service type and the addresses of its SRV targets
 *   are cached: other services' records are ignored.
 *
 * @module
 */
import { type Logger, silentLogger } from "../common/log.ts";
import { encodeQuery, type MdnsQuestion, type MdnsRecord, nameKey, sameName } from "./packet.ts";
import { RecordCache } from "./cache.ts";
import { addressesOf, cachedPeers, type DiscoveredPeer } from "./cache_peers.ts";
import { labelOf, SERVICE_TYPE } from "./records.ts";
import type { Datagram, IfaceAddress, Random, Received } from "./types.ts";

/** Options of {@linkcode Browser}. */
export interface BrowserOptions {
  /** @default {Math.random} */
  random?: Random;
  /** @default {silentLogger} */
  log?: Logger;
  /** Cache size bound. @default {2048} */
  maxEntries?: number;
  /**
   * Our own records (those our responder holds), listed as known answers
   * in our queries: we know them, and other hosts must not count them as
   * unanswered (POOF). @default {none}
   */
  ownRecords?: () => MdnsRecord[];
}

const MAX_QUERY_INTERVAL_MS = 60 * 60 * 1000;
const RESOLVE_ATTEMPTS = 4;
const PTR_QUESTION: MdnsQuestion = { name: SERVICE_TYPE, type: "PTR", class: 1, qu: false };

interface Resolving {
  question: MdnsQuestion;
  instance: string;
  nextAt: number;
  interval: number;
  attempts: number;
}

/** Browses for lanspread instances. */
export class Browser {
  readonly cache: RecordCache;
  #ifaces: string[] = [];
  #ifaceKeys: string[] = [];
  #started = false;
  #ptrAt = Infinity;
  #ptrInterval = 1000;
  #qu = true;
  #resolving = new Map<string, Resolving>();
  #changed = false;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #own: () => MdnsRecord[];

  constructor(options: BrowserOptions = {}) {
    this.#own = options.ownRecords ?? (() => []);
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLogger;
    this.cache = new RecordCache({ random: this.#random, maxEntries: options.maxEntries });
  }

  /** Starts continuous querying. */
  start(now: number): void {
    this.#started = true;
    this.#restartQuerying(now);
  }

  /** Replaces the interface list; a new (or re-created) interface restarts querying. */
  setInterfaces(list: IfaceAddress[], now: number): void {
    const keys = list.map((i) => `${i.id}#${i.generation ?? 0}`);
    const added = keys.some((k) => !this.#ifaceKeys.includes(k));
    this.#ifaceKeys = keys;
    this.#ifaces = list.map((i) => i.id);
    if (added && this.#started) this.#restartQuerying(now);
  }

  /** Caches the relevant records of a response. */
  handleResponse(rx: Received, now: number): void {
    const records = [...rx.packet.answers, ...rx.packet.additionals].filter((r) => r.class === 1);
    const targets = new Set<string>();
    for (const r of records) {
      if (r.type === "SRV" && labelOf(r.name)) targets.add(nameKey(r.data.target));
    }
    for (const entry of this.cache.entries()) {
      if (entry.record.type === "SRV") targets.add(nameKey(entry.record.data.target));
    }
    for (const r of records) {
      const ours =
        (r.type === "PTR" && sameName(r.name, SERVICE_TYPE) && labelOf(r.data) !== null) ||
        ((r.type === "SRV" || r.type === "TXT") && labelOf(r.name) !== null) ||
        (r.type === "A" && targets.has(nameKey(r.name)));
      if (ours && this.cache.add(r, now)) this.#changed = true;
    }
    this.#updateResolving(now);
  }

  /** Notes another host's query: POOF (§10.5) and duplicate questions (§7.3). */
  handleQuery(rx: Received, now: number): void {
    // A truncated query's known answers continue in later packets: judging
    // it on its first packet would count listed records as unanswered.
    if (rx.unicast || rx.packet.truncated) return;
    for (const question of rx.packet.questions) {
      // QU questions may be answered by unicast, which we would not see.
      if (question.qu) continue;
      this.cache.noteQuery(
        question,
        rx.packet.answers,
        now,
        (r) => addressesOf(this.cache, r).has(rx.from.hostname),
      );
      if (question.type !== "PTR" || !sameName(question.name, SERVICE_TYPE)) continue;
      const ours = new Set(
        [...this.cache.knownAnswers(PTR_QUESTION, now), ...this.#own()].map((r) =>
          nameKey(r.data as string)
        ),
      );
      const theirs = rx.packet.answers.filter((r) =>
        r.type === "PTR" && sameName(r.name, SERVICE_TYPE)
      );
      if (theirs.every((r) => ours.has(nameKey(r.data as string)))) this.#ptrSent(now);
    }
  }

  /** Runs what is due: expiry, refresh, continuous and resolution queries. */
  poll(now: number): Datagram[] {
    if (this.cache.expire(now).length > 0) {
      this.#changed = true;
      this.#updateResolving(now);
    }
    const questions = new Map<string, MdnsQuestion>();
    const ask = (q: MdnsQuestion) => {
      const key = `${nameKey(q.name)}|${q.type}`;
      questions.set(key, { ...q, qu: (questions.get(key)?.qu ?? true) && q.qu });
    };
    for (const r of this.cache.takeRefreshes(now)) {
      ask({ name: r.name, type: r.type, class: 1, qu: false });
    }
    if (now >= this.#ptrAt) {
      ask({ ...PTR_QUESTION, qu: this.#qu });
      this.#ptrSent(now);
    }
    for (const [key, r] of this.#resolving) {
      if (r.nextAt > now) continue;
      if (r.attempts >= RESOLVE_ATTEMPTS) {
        this.#log.debug(`${r.instance} does not resolve; dropping it`);
        this.#resolving.delete(key);
        for (const ptr of this.cache.lookup(SERVICE_TYPE, "PTR")) {
          if (sameName(ptr.record.data as string, r.instance)) this.cache.delete(ptr.record);
        }
        this.#changed = true;
        continue;
      }
      ask(r.question);
      r.attempts++;
      r.nextAt = now + r.interval;
      r.interval *= 2;
    }
    if (questions.size === 0) return [];
    const list = [...questions.values()];
    const own = this.#own();
    const known = list.flatMap((q) => [
      ...this.cache.knownAnswers(q, now),
      ...own.filter((r) => sameName(r.name, q.name) && (q.type === "ANY" || r.type === q.type)),
    ]);
    const packets = encodeQuery(list, known);
    return this.#ifaces.flatMap((iface) =>
      packets.map((data) => ({ iface, to: "multicast" as const, data }))
    );
  }

  /** When {@linkcode poll} next has work. */
  nextDeadline(): number {
    let t = Math.min(this.#ptrAt, this.cache.nextDeadline());
    for (const r of this.#resolving.values()) t = Math.min(t, r.nextAt);
    return t;
  }

  /** True once after the cache changed in a way that may change {@linkcode peers}. */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** Complete, valid lanspread instances, by peer id, excluding `ownPeerId`. */
  peers(ownPeerId: string): Map<string, DiscoveredPeer> {
    return cachedPeers(this.cache, ownPeerId);
  }

  #restartQuerying(now: number): void {
    this.#ptrInterval = 1000;
    this.#qu = true;
    this.#ptrAt = now + 20 + this.#random() * 100;
  }

  #ptrSent(now: number): void {
    if (this.#ptrAt === Infinity) return;
    this.#qu = false;
    this.#ptrAt = now + this.#ptrInterval;
    this.#ptrInterval = Math.min(this.#ptrInterval * 2, MAX_QUERY_INTERVAL_MS);
  }

  /** Schedules questions for whatever instances lack; forgets what arrived. */
  #updateResolving(now: number): void {
    const wanted = new Map<string, { question: MdnsQuestion; instance: string }>();
    for (const ptr of this.cache.lookup(SERVICE_TYPE, "PTR")) {
      const instance = ptr.record.data as string;
      const srv = this.cache.lookup(instance, "SRV")[0];
      const need = (name: string, type: string) =>
        wanted.set(`${nameKey(name)}|${type}`, {
          question: { name, type, class: 1, qu: false },
          instance,
        });
      if (!srv) need(instance, "SRV");
      if (this.cache.lookup(instance, "TXT").length === 0) need(instance, "TXT");
      if (
        srv?.record.type === "SRV" && this.cache.lookup(srv.record.data.target, "A").length === 0
      ) {
        need(srv.record.data.target, "A");
      }
    }
    for (const key of this.#resolving.keys()) if (!wanted.has(key)) this.#resolving.delete(key);
    for (const [key, w] of wanted) {
      if (this.#resolving.has(key)) continue;
      // A little later than now: the rest of a split response may be in flight.
      this.#resolving.set(key, {
        ...w,
        nextAt: now + 20 + this.#random() * 100,
        interval: 1000,
        attempts: 0,
      });
    }
  }
}
