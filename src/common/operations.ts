/**
 * One operation per game at a time (ARCHITECTURE.md "Install: transactions and recovery"): downloads, installs,
 * updates, uninstalls and removals all claim their game here first. A
 * second claim on a busy game is refused with `busy` naming the running
 * operation; every start, hand-over and end is an `operation-changed` event,
 * and `GameRow.operation` (src/peer/views.ts) reads {@linkcode Operations.current}.
 *
 * @module
 */
import { CommandError } from "./errors.ts";
import type { EventLog, Operation } from "./events.ts";

export type { Operation };

/** A game's claim: hand it to the next operation, or release it (both idempotent once released). */
export interface Claim {
  readonly game: string;
  readonly operation: Operation;
  /** Hands the game to `next` without letting anything else in between. */
  switchTo(next: Operation): void;
  /** Ends the operation; the game is free again. */
  release(): void;
}

/** Options for {@linkcode Operations}. */
export interface OperationsOptions {
  /** Told when the first operation starts (true) and the last one ends (false). @default {nothing} */
  onBusy?: (busy: boolean) => void;
}

export class Operations {
  #events: EventLog | null;
  #o: OperationsOptions;
  #running = new Map<string, { operation: Operation; token: object }>();

  constructor(events: EventLog | null = null, options: OperationsOptions = {}) {
    this.#events = events;
    this.#o = options;
  }

  /** The operation running on `game`, or null. */
  current(game: string): Operation | null {
    return this.#running.get(game)?.operation ?? null;
  }

  /** Every running operation, by game id. */
  running(): { game: string; operation: Operation }[] {
    return [...this.#running].sort(([a], [b]) => a < b ? -1 : 1)
      .map(([game, r]) => ({ game, operation: r.operation }));
  }

  /** Throws CommandError `busy` naming the operation running on `game`, if any. */
  assertFree(game: string): void {
    const running = this.#running.get(game);
    if (running) {
      throw new CommandError(
        "busy",
        `${game}: ${describe(running.operation)} is running; try again when it has finished`,
      );
    }
  }

  /** Claims `game` for `operation`; throws CommandError `busy` naming the running one. */
  claim(game: string, operation: Operation): Claim {
    this.assertFree(game);
    const token = {};
    const state = { operation, token };
    this.#running.set(game, state);
    if (this.#running.size === 1) this.#o.onBusy?.(true);
    this.#emit(game, operation);
    const mine = () => this.#running.get(game)?.token === token;
    return {
      game,
      get operation() {
        return state.operation;
      },
      switchTo: (next) => {
        if (!mine() || state.operation === next) return;
        state.operation = next;
        this.#emit(game, next);
      },
      release: () => {
        if (!mine()) return;
        this.#running.delete(game);
        if (this.#running.size === 0) this.#o.onBusy?.(false);
        this.#emit(game, null);
      },
    };
  }

  #emit(game: string, operation: Operation | null): void {
    this.#events?.emit("operation-changed", { game, operation });
  }
}

/** "a download", "an install", ... for messages. */
export function describe(operation: Operation): string {
  return operation === "remove"
    ? "a removal"
    : operation === "download"
    ? "a download"
    : `an ${operation}`;
}
