/**
 * Runs the peer's services under one AbortSignal with a policy each
 * (ARCHITECTURE.md "Threads of control"), and remembers each service's last error for the status page:
 *
 * - `required`: its failure is the peer's failure (`runtime-failed`, stop);
 * - `restart`: restarted after a delay, as long as the peer runs;
 * - `best-effort`: its failure is reported and it stays down.
 *
 * @module
 */
import { delay } from "../common/async.ts";
import type { EventLog } from "../common/events.ts";
import { type Logger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";

export type Policy =
  | { kind: "required" }
  | { kind: "restart"; delayMs: number }
  | { kind: "best-effort" };

export type ServiceState = "running" | "restarting" | "stopped" | "failed";

export interface ServiceStatus {
  state: ServiceState;
  lastError: string | null;
  restarts: number;
}

export type Task = (signal: AbortSignal) => Promise<void>;

export interface SupervisorOptions {
  events: EventLog;
  log: Logger;
  /** Called once when a required service fails. */
  onFatal: (component: string, error: unknown) => void;
}

export class Supervisor {
  #o: SupervisorOptions;
  #status = new Map<string, ServiceStatus>();
  #tasks = new Set<Promise<void>>();
  /** The current run of each service, aborted by `restart`. */
  #runs = new Map<string, AbortController>();

  constructor(options: SupervisorOptions) {
    this.#o = options;
  }

  /** Starts `task` under `policy`; it ends when `signal` aborts. */
  start(name: string, policy: Policy, signal: AbortSignal, task: Task): void {
    const status: ServiceStatus = { state: "running", lastError: null, restarts: 0 };
    this.#status.set(name, status);
    const run = this.#supervise(name, policy, signal, task, status);
    this.#tasks.add(run);
    run.finally(() => this.#tasks.delete(run));
  }

  /** Ends the current run of a service and starts it again at once (not a failure). */
  restart(name: string): void {
    this.#runs.get(name)?.abort(new Error("restart"));
  }

  /** Records an error of a service that reports rather than throws. */
  reportError(name: string, error: unknown): void {
    const status = this.#status.get(name);
    if (status) status.lastError = errorMessage(error);
  }

  status(): Record<string, ServiceStatus> {
    return Object.fromEntries([...this.#status].map(([k, v]) => [k, { ...v }]));
  }

  /** Resolves when every started task has ended. */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #supervise(
    name: string,
    policy: Policy,
    signal: AbortSignal,
    task: Task,
    status: ServiceStatus,
  ): Promise<void> {
    while (!signal.aborted) {
      status.state = "running";
      const run = new AbortController();
      this.#runs.set(name, run);
      try {
        await task(AbortSignal.any([signal, run.signal]));
        if (signal.aborted) break;
        if (run.signal.aborted) continue; // restarted on purpose
        throw new Error("stopped unexpectedly");
      } catch (error) {
        if (signal.aborted) break;
        if (run.signal.aborted) continue;
        const message = errorMessage(error);
        status.lastError = message;
        this.#o.log.error(`${name} failed: ${message}`);
        this.#o.events.emit("service-error", { service: name, message });
        if (policy.kind === "required") {
          status.state = "failed";
          this.#o.events.emit("runtime-failed", { component: name, message });
          this.#o.onFatal(name, error);
          return;
        }
        if (policy.kind === "best-effort") {
          status.state = "failed";
          return;
        }
        status.state = "restarting";
        status.restarts++;
        await delay(policy.delayMs, { signal }).catch(() => {});
      }
    }
    status.state = "stopped";
  }
}
