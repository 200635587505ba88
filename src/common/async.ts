/**
 * Small async helpers shared by every service, each taking an options
 * object with an `AbortSignal`: waiting (`delay`), racing a promise against
 * a signal (`abortable`), a counting semaphore (`Slots`), pacing a loop
 * of synchronous calls so that it never holds the event loop long (`Pacer`),
 * and running a function over many items a few at a time (`eachLimited`).
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** Options of the helpers that can be stopped. */
export interface AbortableOptions<T = unknown> {
  /** Stops the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Receives a value that arrives after the abort, so that it is not leaked (a connection, a file). */
  dispose?: (late: T) => void;
}

/**
 * Races `promise` against `signal`: rejects with the signal's reason when it
 * aborts first. A value that still arrives after the abort goes to `dispose`
 * so that late connections or files are not leaked.
 */
export function abortable<T>(promise: Promise<T>, options: AbortableOptions<T> = {}): Promise<T> {
  const { signal, dispose } = options;
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then((late) => dispose?.(late), () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) dispose?.(value);
        else resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A counting semaphore: at most `size` holders; the others wait in order. */
export class Slots {
  #size: number;
  /** Free slots; negative after a shrink, until enough holders give theirs back. */
  #free: number;
  #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
    this.#free = size;
  }

  /** Changes the number of slots: more wake waiters at once, fewer take effect as holders leave. */
  resize(size: number): void {
    this.#free += size - this.#size;
    this.#size = size;
    while (this.#free > 0 && this.#waiting.length > 0) {
      this.#free--;
      this.#waiting.shift()!();
    }
  }

  /** Waits for a slot; resolves with the function that gives it back (call it once). */
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.#free >= 0 ? this.#waiting.shift() : undefined;
      if (next) next();
      else this.#free++;
    };
  }

  /** Takers waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }
}

/** Options for {@linkcode Pacer}. */
export interface PacerOptions {
  /** How long the loop may hold the event loop before it lets others run. @default {10} */
  sliceMs?: number;
  /** The clock (tests). @default {performance.now} */
  now?: () => number;
}

/**
 * Paces a loop of synchronous file system calls. A synchronous call on a
 * hot inode takes microseconds, while its async twin hands off to a pool
 * thread and back, which on a VM costs more than the call; but a loop of
 * thousands must not stall the peer's timers and sockets. `breathe()`
 * between calls resolves at once until the loop has run `sliceMs`, then
 * after one turn of the event loop (setImmediate: I/O and timers run, with
 * no 4 ms clamp of nested timeouts).
 */
export class Pacer {
  readonly #sliceMs: number;
  readonly #now: () => number;
  #since: number;

  constructor(options: PacerOptions = {}) {
    this.#sliceMs = options.sliceMs ?? 10;
    this.#now = options.now ?? (() => performance.now());
    this.#since = this.#now();
  }

  /** Resolves at once within the slice, else once the event loop has turned. */
  breathe(): Promise<void> {
    if (this.#now() - this.#since < this.#sliceMs) return Promise.resolve();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#since = this.#now();
    });
  }
}

/** Options for {@linkcode eachLimited}. */
export interface EachLimitedOptions {
  /** Calls running at once. */
  concurrency: number;
  /** Stops starting new calls; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` over `items`, `concurrency` at a time; the first failure wins,
 * once the running calls have settled (none starts after it). `fn` may make
 * synchronous calls: the loop paces itself ({@linkcode Pacer}).
 */
export async function eachLimited<T>(
  items: readonly T[],
  options: EachLimitedOptions,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const { signal } = options;
  let next = 0;
  let failure = null as { error: unknown } | null;
  const pacer = new Pacer();
  const lane = async () => {
    while (next < items.length && failure === null) {
      try {
        signal?.throwIfAborted();
        await fn(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
      await pacer.breathe();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, lane));
  if (failure !== null) throw failure.error;
}
