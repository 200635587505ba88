/**
 * The UDP sockets of mDNS: the only file in lanspread that opens one.
 * Needs `--unstable-net` (`Deno.listenDatagram`, `joinMulticastV4`;
 * `node:dgram` multicast does not work in Deno).
 *
 * Sockets (RFC 6762 §3, §11, §15):
 * - one listener on 0.0.0.0:5353 with SO_REUSEADDR, so that avahi, Bonjour,
 *   Windows' own responder and other peers on the same host can share the
 *   port; it joins 224.0.0.251 on every interface and receives multicast;
 * - per interface, a socket bound to that interface's address and port
 *   5353: multicast sent from it leaves through that interface (Linux picks
 *   the device from the bound source address), it carries our unicast
 *   replies and queries with source port 5353, and it receives unicast
 *   addressed to us (QU answers). Multicast TTL 255 (§11), loopback on so
 *   other responders on this host hear us.
 *
 * Interfaces are re-read on {@linkcode UdpTransport.refresh}: new ones are
 * joined, vanished ones released; a re-created device (new MAC) is rejoined;
 * a membership the kernel dropped (device gone and back) is re-joined.
 * Failures on one interface are logged and retried on the next refresh;
 * only a failure of the shared listener is fatal.
 *
 * @module
 */
import { type Logger, silentLogger } from "../common/log.ts";
import { errorMessage } from "../common/errors.ts";
import {
  interfaceFor,
  type InterfaceInfo,
  type MdnsInterface,
  selectInterfaces,
} from "./interfaces.ts";
import {
  type Datagram,
  type IfaceAddress,
  MDNS_GROUP,
  MDNS_PORT,
  type MdnsTransport,
  type TransportHandlers,
} from "./types.ts";

/** Options of {@linkcode UdpTransport}. */
export interface UdpTransportOptions {
  /** UDP port. @default {5353} */
  port?: number;
  /** Multicast group. @default {"224.0.0.251"} */
  group?: string;
  /** Extra filter over the non-loopback IPv4 interfaces. @default {all} */
  interfaceFilter?: (info: InterfaceInfo) => boolean;
  /** Source of interface data. @default {Deno.networkInterfaces} */
  listInterfaces?: () => InterfaceInfo[];
  /** @default {silentLogger} */
  log?: Logger;
}

interface Attached {
  iface: MdnsInterface;
  socket: Deno.DatagramConn;
  /** The shared listener's membership on this interface (null: joined before). */
  membership: Deno.MulticastV4Membership | null;
  loop: Promise<void>;
  /** Counts attachments of this id, so a re-created device is seen as new. */
  generation: number;
}

/** mDNS over real UDP sockets. */
export class UdpTransport implements MdnsTransport {
  #listener: Deno.DatagramConn | null = null;
  #listenerLoop: Promise<void> = Promise.resolve();
  #attached = new Map<string, Attached>();
  #generations = new Map<string, number>();
  #handlers: TransportHandlers | null = null;
  #closing = false;
  readonly #port: number;
  readonly #group: string;
  readonly #filter: ((info: InterfaceInfo) => boolean) | undefined;
  readonly #list: () => InterfaceInfo[];
  readonly #log: Logger;

  constructor(options: UdpTransportOptions = {}) {
    this.#port = options.port ?? MDNS_PORT;
    this.#group = options.group ?? MDNS_GROUP;
    this.#filter = options.interfaceFilter;
    this.#list = options.listInterfaces ?? Deno.networkInterfaces;
    this.#log = options.log ?? silentLogger;
  }

  open(handlers: TransportHandlers): Promise<void> {
    if (typeof Deno.listenDatagram !== "function") {
      return Promise.reject(new Error("UDP multicast needs Deno's --unstable-net flag"));
    }
    this.#handlers = handlers;
    this.#listener = Deno.listenDatagram({
      transport: "udp",
      hostname: "0.0.0.0",
      port: this.#port,
      reuseAddress: true,
      loopback: true,
    });
    this.#listenerLoop = this.#receive(this.#listener, null);
    return Promise.resolve();
  }

  async refresh(): Promise<IfaceAddress[]> {
    const listener = this.#listener;
    if (!listener || this.#closing) return [];
    let wanted: MdnsInterface[];
    try {
      wanted = selectInterfaces(this.#list(), this.#filter);
    } catch (error) {
      this.#log.warn(`cannot list interfaces: ${errorMessage(error)}`);
      wanted = [...this.#attached.values()].map((a) => a.iface);
    }
    for (const [id, attached] of this.#attached) {
      const now = wanted.find((w) => w.id === id);
      if (!now || now.mac !== attached.iface.mac) {
        await this.#detach(id, now ? "re-created" : "gone");
      }
    }
    for (const iface of wanted) {
      const attached = this.#attached.get(iface.id);
      if (attached) await this.#checkMembership(listener, attached);
      else await this.#attach(listener, iface);
    }
    return [...this.#attached.values()].map(({ iface, generation }) => ({
      id: iface.id,
      address: iface.address,
      generation,
    }));
  }

  async send(datagram: Datagram): Promise<void> {
    const attached = this.#attached.get(datagram.iface);
    if (!attached) throw new Error(`interface ${datagram.iface} is gone`);
    const to = datagram.to === "multicast"
      ? { hostname: this.#group, port: this.#port }
      : datagram.to;
    await attached.socket.send(datagram.data, { transport: "udp", ...to });
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const id of [...this.#attached.keys()]) await this.#detach(id, null);
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    await this.#listenerLoop;
    this.#listener = null;
  }

  async #attach(listener: Deno.DatagramConn, iface: MdnsInterface): Promise<void> {
    let socket: Deno.DatagramConn | null = null;
    try {
      const membership = await this.#join(listener, iface);
      socket = Deno.listenDatagram({
        transport: "udp",
        hostname: iface.address,
        port: this.#port,
        reuseAddress: true,
        loopback: true,
      });
      // Joined only to get a handle for the socket's multicast TTL: a socket
      // bound to a unicast address never receives group traffic.
      await (await socket.joinMulticastV4(this.#group, iface.address)).setTTL(255);
      const generation = (this.#generations.get(iface.id) ?? -1) + 1;
      this.#generations.set(iface.id, generation);
      this.#attached.set(iface.id, {
        iface,
        socket,
        membership,
        generation,
        loop: this.#receive(socket, iface.id),
      });
      this.#log.info(`mDNS on ${iface.name} ${iface.address}`);
    } catch (error) {
      try {
        socket?.close();
      } catch { /* never opened */ }
      this.#log.warn(`cannot use ${iface.name} ${iface.address} for mDNS: ${errorMessage(error)}`);
    }
  }

  /** Joins the group on `iface`; null if the listener already was a member. */
  async #join(
    listener: Deno.DatagramConn,
    iface: MdnsInterface,
  ): Promise<Deno.MulticastV4Membership | null> {
    try {
      return await listener.joinMulticastV4(this.#group, iface.address);
    } catch (error) {
      // Already a member (EADDRINUSE) is what we want.
      if (/in use|EADDRINUSE|os error 98/i.test(errorMessage(error))) return null;
      throw error;
    }
  }

  /** The kernel drops memberships of a device that goes away; rejoin if ours was dropped. */
  async #checkMembership(listener: Deno.DatagramConn, attached: Attached): Promise<void> {
    try {
      const membership = await this.#join(listener, attached.iface);
      if (!membership) return;
      attached.membership = membership;
      this.#log.info(`re-joined the mDNS group on ${attached.iface.name}`);
    } catch (error) {
      this.#log.debug(`membership check on ${attached.iface.name}: ${errorMessage(error)}`);
    }
  }

  async #detach(id: string, why: string | null, waitForLoop = true): Promise<void> {
    const attached = this.#attached.get(id);
    if (!attached) return;
    this.#attached.delete(id);
    if (why) this.#log.info(`mDNS off ${attached.iface.name} ${attached.iface.address} (${why})`);
    // Leaving fails if the device is gone already; the kernel dropped it then.
    await attached.membership?.leave().catch(() => {});
    try {
      attached.socket.close();
    } catch { /* already closed */ }
    if (waitForLoop) await attached.loop;
  }

  /** Receives until the socket closes; `iface` null = the shared listener. */
  async #receive(socket: Deno.DatagramConn, iface: string | null): Promise<void> {
    try {
      while (true) {
        const [data, addr] = await socket.receive();
        if (addr.transport !== "udp") continue;
        const from = { hostname: addr.hostname, port: addr.port };
        const on = interfaceFor(from.hostname, [...this.#attached.values()].map((a) => a.iface));
        if (!on) {
          this.#log.debug(`dropped packet from ${from.hostname}: not on a local link`);
          continue;
        }
        try {
          this.#handlers?.onDatagram(data, from, on.id, iface !== null);
        } catch (error) {
          // A bug in handling one packet must not stop the socket.
          this.#log.warn(`mDNS packet handler failed: ${errorMessage(error)}`);
        }
      }
    } catch (error) {
      if (this.#closing || (iface !== null && !this.#attached.has(iface))) return;
      if (iface === null) {
        this.#handlers?.onFatal(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.#log.warn(`mDNS socket on ${iface} failed: ${errorMessage(error)}`);
      await this.#detach(iface, "socket failed", false);
    }
  }
}
