/**
 * Multicast answers waiting to be sent, aggregated per interface (RFC 6762
 * §6.4), with the rate limit of §6 — a record is multicast on an interface
 * at most once per second (once per 250 ms when defending a probe) — and
 * the suppression rules that can withdraw a waiting answer:
 * - §7.2: the querier's own (possibly follow-up) known-answer list shows it
 *   already has the record;
 * - §7.4: another responder multicast the same record meanwhile.
 *
 * Pure: keys are opaque strings (the responder uses record roles), times are
 * inputs.
 *
 * @module
 */

/** Answer or additional section. */
export type Section = "answer" | "additional";

interface Item {
  section: Section;
  /** Queriers waiting for it; null = unsolicited, never withdrawn. */
  askers: Set<string> | null;
  /** Least time since its last multicast on this interface. */
  gap: number;
}

/** What {@linkcode MulticastQueue.take} releases. */
export interface Released<K> {
  answers: K[];
  additionals: K[];
}

/** Per-interface queue of answers keyed by `K`. */
export class MulticastQueue<K extends string> {
  #pending = new Map<string, { dueAt: number; items: Map<K, Item> }>();
  #last = new Map<string, number>();

  /** Queues `key` on `iface` for `dueAt`; a later due time never delays an earlier one. */
  add(
    iface: string,
    key: K,
    section: Section,
    dueAt: number,
    gap: number,
    asker: string | null,
  ): void {
    const entry = this.#pending.get(iface) ?? { dueAt, items: new Map<K, Item>() };
    entry.dueAt = Math.min(entry.dueAt, dueAt);
    const item = entry.items.get(key);
    if (!item) {
      entry.items.set(key, { section, askers: asker === null ? null : new Set([asker]), gap });
    } else {
      if (section === "answer") item.section = "answer";
      item.gap = Math.min(item.gap, gap);
      if (asker === null) item.askers = null;
      else item.askers?.add(asker);
    }
    this.#pending.set(iface, entry);
  }

  /** §7.2: `asker` listed these keys as known; they are no longer owed to it. */
  pruneKnown(iface: string, asker: string, known: (key: K) => boolean): void {
    const entry = this.#pending.get(iface);
    for (const [key, item] of entry?.items ?? []) {
      if (item.askers === null || !known(key)) continue;
      item.askers.delete(asker);
      if (item.askers.size === 0) entry!.items.delete(key);
    }
  }

  /** §7.4: someone else multicast these keys on `iface`: treat ours as sent. */
  seenElsewhere(iface: string, same: (key: K) => boolean, now: number): void {
    const entry = this.#pending.get(iface);
    for (const [key, item] of entry?.items ?? []) {
      if (item.askers === null || !same(key)) continue;
      entry!.items.delete(key);
      this.#last.set(`${iface}|${key}`, now);
    }
  }

  /** When `key` was last multicast on `iface`. */
  lastSent(iface: string, key: K): number | undefined {
    return this.#last.get(`${iface}|${key}`);
  }

  /** Records that `key` went out on `iface` just now (the gap before it may go again starts). */
  #markSent(iface: string, key: K, now: number): void {
    this.#last.set(`${iface}|${key}`, now);
  }

  /** Interfaces whose answers are due. */
  due(now: number): string[] {
    return [...this.#pending].filter(([, e]) => e.dueAt <= now).map(([iface]) => iface);
  }

  /**
   * Takes what may be multicast on `iface` now. Answers still inside their
   * gap are re-queued for when it ends; additional records inside it are
   * dropped (they are optional). Nothing is released without an answer.
   */
  take(iface: string, now: number): Released<K> {
    const entry = this.#pending.get(iface);
    this.#pending.delete(iface);
    const out: Released<K> = { answers: [], additionals: [] };
    for (const [key, item] of entry?.items ?? []) {
      const last = this.lastSent(iface, key);
      if (last !== undefined && now - last < item.gap) {
        if (item.section === "answer") {
          const later = this.#pending.get(iface) ?? { dueAt: last + item.gap, items: new Map() };
          later.dueAt = Math.min(later.dueAt, last + item.gap);
          later.items.set(key, item);
          this.#pending.set(iface, later);
        }
        continue;
      }
      (item.section === "answer" ? out.answers : out.additionals).push(key);
    }
    if (out.answers.length === 0) return { answers: [], additionals: [] };
    for (const key of [...out.answers, ...out.additionals]) this.#markSent(iface, key, now);
    return out;
  }

  /** Earliest due time; Infinity when empty. */
  nextDeadline(): number {
    let t = Infinity;
    for (const entry of this.#pending.values()) t = Math.min(t, entry.dueAt);
    return t;
  }

  /** Forgets an interface that went away. */
  dropInterface(iface: string): void {
    this.#pending.delete(iface);
  }

  /** Drops everything waiting (rate-limit history is kept). */
  clear(): void {
    this.#pending.clear();
  }
}
