/**
 * The browser's record cache, as a pure data structure over injected time.
 *
 * Implements RFC 6762:
 * - §5.2 refresh: each record is due for a refresh query at 80, 85, 90 and
 *   95 % of its TTL, each point with 0-2 % random jitter, and expires at 100 %;
 * - §7.1 known answers: records with more than half their TTL left, sent
 *   with their remaining TTL;
 * - §10.1 goodbyes: TTL 0 marks a record gone and deletes it one second
 *   later (so a cooperating responder can still rescue it);
 * - §10.2 cache-flush: a record with the flush bit makes the other records
 *   of its name and type received more than one second earlier expire in
 *   one second;
 * - §10.5 passive observation of failures (POOF): a record that two or
 *   more multicast queries expected, and that nobody re-announced within ten
 *   seconds of the first, is deleted;
 * - a bound on the number of entries, so a flood cannot grow memory.
 *
 * @module
 */
import { type MdnsQuestion, type MdnsRecord, nameKey, recordKey, sameName } from "./packet.ts";
import type { Random } from "./types.ts";

/** One cached record. */
export interface CacheEntry {
  record: MdnsRecord;
  receivedAt: number;
  expiresAt: number;
  /** Pending refresh points, earliest first. */
  refreshAt: number[];
  /** Received with TTL 0, or flushed by a newer record: about to go. */
  leaving: boolean;
  /** §10.5: unanswered queries seen for it, and when the first was. */
  poofCount: number;
  poofSince: number;
}

/** Options of {@linkcode RecordCache}. */
export interface RecordCacheOptions {
  /** @default {Math.random} */
  random?: Random;
  /** Entries kept at most; new records beyond it are ignored. @default {2048} */
  maxEntries?: number;
}

const REFRESH_POINTS = [0.8, 0.85, 0.9, 0.95];
const EARLY_REFRESH = 0.03;
const POOF_WINDOW_MS = 10_000;
const GRACE_MS = 1000;

/** Records with their expiry and refresh schedule. */
export class RecordCache {
  #entries = new Map<string, CacheEntry>();
  /** `name|type` -> record keys, for cache-flush and lookups. */
  #byName = new Map<string, Set<string>>();
  readonly #random: Random;
  readonly #max: number;

  constructor(options: RecordCacheOptions = {}) {
    this.#random = options.random ?? Math.random;
    this.#max = options.maxEntries ?? 2048;
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds or refreshes a record; true if what the cache holds changed (not just its TTL). */
  add(record: MdnsRecord, now: number): boolean {
    const key = recordKey(record);
    const existing = this.#entries.get(key);
    if (record.ttl === 0) {
      if (!existing || existing.leaving) return false;
      this.#leave(existing, now);
      return true;
    }
    let changed = false;
    if (record.flush) changed = this.#flushOthers(record, key, now);
    if (!existing && this.#entries.size >= this.#max) return changed;
    const entry: CacheEntry = {
      record,
      receivedAt: now,
      expiresAt: now + record.ttl * 1000,
      refreshAt: REFRESH_POINTS.map((p) => now + record.ttl * 1000 * (p + this.#random() * 0.02)),
      leaving: false,
      poofCount: 0,
      poofSince: 0,
    };
    this.#entries.set(key, entry);
    const nameType = this.#nameType(record.name, record.type);
    this.#byName.set(nameType, (this.#byName.get(nameType) ?? new Set()).add(key));
    return changed || !existing || existing.leaving;
  }

  /** Live entries of a name and type, newest first. */
  lookup(name: string, type: string): CacheEntry[] {
    const keys = this.#byName.get(this.#nameType(name, type)) ?? new Set<string>();
    return [...keys].map((k) => this.#entries.get(k)!).filter((e) => !e.leaving)
      .sort((a, b) => b.receivedAt - a.receivedAt);
  }

  /** All entries (live or leaving). */
  entries(): IterableIterator<CacheEntry> {
    return this.#entries.values();
  }

  /** Deletes one record now. */
  delete(record: MdnsRecord): void {
    const key = recordKey(record);
    this.#entries.delete(key);
    const nameType = this.#nameType(record.name, record.type);
    const keys = this.#byName.get(nameType);
    keys?.delete(key);
    if (keys?.size === 0) this.#byName.delete(nameType);
  }

  /** Removes what expired or failed POOF; returns the removed records. */
  expire(now: number): MdnsRecord[] {
    const gone: MdnsRecord[] = [];
    for (const entry of this.#entries.values()) {
      const poofed = entry.poofCount >= 2 && now >= entry.poofSince + POOF_WINDOW_MS;
      if (entry.expiresAt <= now || poofed) gone.push(entry.record);
    }
    for (const record of gone) this.delete(record);
    return gone;
  }

  /**
   * Records whose next refresh point has passed (each point fires once).
   * When any is due, records whose own point is at most 3 % of their TTL
   * away come along: records received together (an SRV and its address)
   * are then refreshed by one query instead of two.
   */
  takeRefreshes(now: number): MdnsRecord[] {
    const entries = [...this.#entries.values()].filter((e) => e.refreshAt.length > 0);
    if (!entries.some((e) => e.refreshAt[0]! <= now)) return [];
    const due: MdnsRecord[] = [];
    for (const entry of entries) {
      const horizon = now + entry.record.ttl * 1000 * EARLY_REFRESH;
      if (entry.refreshAt[0]! > horizon) continue;
      while (entry.refreshAt.length > 0 && entry.refreshAt[0]! <= horizon) entry.refreshAt.shift();
      due.push(entry.record);
    }
    return due;
  }

  /** §7.1: live answers to a question with more than half their TTL left, with the TTL left. */
  knownAnswers(question: MdnsQuestion, now: number): MdnsRecord[] {
    return this.#answering(question).filter((e) => !e.leaving).flatMap((e) => {
      const left = Math.floor((e.expiresAt - now) / 1000);
      return left * 2 > e.record.ttl ? [{ ...e.record, ttl: left }] : [];
    });
  }

  /**
   * §10.5: a multicast QM query expected these answers; those it did not
   * list count as unanswered, except those `exempt` says the querier owns
   * (a responder does not answer its own query).
   */
  noteQuery(
    question: MdnsQuestion,
    listed: MdnsRecord[],
    now: number,
    exempt: (record: MdnsRecord) => boolean = () => false,
  ): void {
    const listedKeys = new Set(listed.map(recordKey));
    for (const entry of this.#answering(question)) {
      if (entry.leaving || listedKeys.has(recordKey(entry.record)) || exempt(entry.record)) {
        continue;
      }
      if (entry.poofCount++ === 0) entry.poofSince = now;
    }
  }

  /** Earliest time something expires, is due for refresh or for POOF. */
  nextDeadline(): number {
    let t = Infinity;
    for (const e of this.#entries.values()) {
      t = Math.min(t, e.expiresAt, e.refreshAt[0] ?? Infinity);
      if (e.poofCount >= 2) t = Math.min(t, e.poofSince + POOF_WINDOW_MS);
    }
    return t;
  }

  #answering(question: MdnsQuestion): CacheEntry[] {
    if (question.type !== "ANY") {
      const keys = this.#byName.get(this.#nameType(question.name, question.type)) ?? [];
      return [...keys].map((k) => this.#entries.get(k)!);
    }
    return [...this.#entries.values()].filter((e) => sameName(e.record.name, question.name));
  }

  #nameType(name: string, type: string): string {
    return `${nameKey(name)}|${type}`;
  }

  #leave(entry: CacheEntry, now: number): void {
    entry.leaving = true;
    entry.expiresAt = Math.min(entry.expiresAt, now + GRACE_MS);
    entry.refreshAt = [];
  }

  #flushOthers(record: MdnsRecord, key: string, now: number): boolean {
    let changed = false;
    for (const other of this.#byName.get(this.#nameType(record.name, record.type)) ?? []) {
      const entry = this.#entries.get(other)!;
      if (other === key || entry.leaving || entry.receivedAt > now - GRACE_MS) continue;
      this.#leave(entry, now);
      changed = true;
    }
    return changed;
  }
}
