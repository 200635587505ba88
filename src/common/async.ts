/**
 * Small async helpers shared by every service, each taking an options
 * object with an `AbortSignal`: waiting (`delay`), racing a promise against
 * a signal (`abortable`), and a counting semaphore (`Slots`).
 *
 * @module
 */

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
