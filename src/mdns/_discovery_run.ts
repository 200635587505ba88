/**
 * One run of the discovery service (discovery.ts): the pure core driven by
 * one transport, one protocol timer and one interface-check timer, from
 * `open` to the goodbyes of `close`. A new run starts from scratch, so a
 * failed transport leaves nothing behind for the next.
 *
 * @module
 */
import type { Logger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import type { MdnsCore } from "./core.ts";
import type { Datagram, IfaceAddress, MdnsTransport } from "./types.ts";

const GOODBYE_TIMEOUT_MS = 1000;

/** What a run needs. */
export interface RunParts {
  core: MdnsCore;
  transport: MdnsTransport;
  log: Logger;
  now: () => number;
  /** How often interfaces are re-read. */
  interfaceCheckMs: number;
  /** Told the interfaces in use after each check. */
  onInterfaces: (interfaces: IfaceAddress[]) => void;
}

export class DiscoveryRun {
  #p: RunParts;
  /** Set once the transport failed for good; the run then ends. */
  fatal: Error | null = null;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #checkAt = Infinity;
  #refreshing: Promise<void> = Promise.resolve();
  #sends = new Set<Promise<void>>();
  #ended = Promise.withResolvers<void>();

  constructor(parts: RunParts) {
    this.#p = parts;
  }

  /** Opens the transport; rejects when it cannot be opened. */
  async open(): Promise<void> {
    const { core, transport, now } = this.#p;
    await transport.open({
      onDatagram: (data, from, iface, unicast) => {
        core.receive(data, from, iface, unicast, now());
        this.pump();
      },
      onFatal: (error) => {
        this.fatal = error;
        this.#ended.resolve();
      },
    });
  }

  /** Reads the interfaces, starts the core, and resolves when stopped or failed. */
  async run(): Promise<void> {
    this.#refreshing = this.#refresh();
    await this.#refreshing;
    this.#p.core.start(this.#p.now());
    this.pump();
    await this.#ended.promise;
  }

  /** Ends `run` (the goodbyes are sent by `close`). */
  stop(): void {
    this.#stopped = true;
    this.#ended.resolve();
  }

  /** Sends what the core has to send and re-arms the timer for its next deadline. */
  pump(): void {
    if (this.#inactive()) return;
    const { core, now } = this.#p;
    for (const datagram of core.poll(now())) this.#send(datagram);
    clearTimeout(this.#timer);
    const delay = core.nextDeadline() - now();
    if (Number.isFinite(delay)) {
      this.#timer = setTimeout(() => this.pump(), Math.min(Math.max(delay, 0), 2 ** 31 - 1));
    }
  }

  /** Says goodbye (unless the transport failed), waits a moment for the sends, closes. */
  async close(): Promise<void> {
    clearTimeout(this.#checkTimer);
    clearTimeout(this.#timer);
    await this.#refreshing.catch(() => {});
    if (!this.fatal) {
      for (const datagram of this.#p.core.stop(this.#p.now())) {
        this.#send(datagram);
      }
    }
    await settleWithin([...this.#sends], GOODBYE_TIMEOUT_MS);
    await this.#p.transport.close().catch((e) =>
      this.#p.log.warn(`closing mDNS sockets: ${errorMessage(e)}`)
    );
  }

  #inactive(): boolean {
    return this.fatal !== null || this.#stopped;
  }

  #send(datagram: Datagram): void {
    const sent = this.#p.transport.send(datagram).catch((error) => {
      // The interface may have vanished: look again soon.
      this.#p.log.debug(`send on ${datagram.iface} failed: ${errorMessage(error)}`);
      this.#scheduleCheck(1000);
    }).finally(() => this.#sends.delete(sent));
    this.#sends.add(sent);
  }

  /** Re-reads the interfaces after `delay` ms, unless a check is due sooner. */
  #scheduleCheck(delay: number): void {
    const now = this.#p.now();
    if (this.#inactive() || now + delay >= this.#checkAt) return;
    clearTimeout(this.#checkTimer);
    this.#checkAt = now + delay;
    this.#checkTimer = setTimeout(() => {
      this.#checkAt = Infinity;
      this.#refreshing = this.#refreshing.then(() => this.#refresh()).catch((e) =>
        this.#p.log.warn(`interface check failed: ${errorMessage(e)}`)
      );
    }, delay);
  }

  async #refresh(): Promise<void> {
    if (this.#inactive()) return;
    const interfaces = await this.#p.transport.refresh();
    this.#p.onInterfaces(interfaces);
    this.#p.core.setInterfaces(interfaces, this.#p.now());
    this.pump();
    this.#scheduleCheck(this.#p.interfaceCheckMs);
  }
}

/** Waits for `promises`, but no longer than `ms`. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}
