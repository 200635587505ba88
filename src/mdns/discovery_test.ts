/**
 * Discovery with real timers over an in-memory transport: no socket is
 * opened, nothing reaches any network.
 */
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { type DiscoveredPeer, Discovery } from "./discovery.ts";
import { UdpTransport } from "./socket.ts";
import type { Datagram, IfaceAddress, MdnsTransport, TransportHandlers } from "./types.ts";
import { decoded } from "./_test_utils.ts";

/** A link joining in-memory transports; multicast reaches everyone, sender included. */
class MemoryLink {
  readonly members = new Map<string, MemoryTransport>();
  readonly sent: { from: string; d: Datagram }[] = [];

  transport(address: string): MemoryTransport {
    return new MemoryTransport(this, address);
  }

  deliver(from: string, d: Datagram): void {
    this.sent.push({ from, d });
    const source = { hostname: from, port: 5353 };
    for (const [address, member] of this.members) {
      if (d.to === "multicast") member.receive(d.data, source, false);
      else if (d.to.hostname === address && d.to.port === 5353) {
        member.receive(d.data, source, true);
      }
    }
  }
}

class MemoryTransport implements MdnsTransport {
  refreshes = 0;
  failSends = false;
  failOpen = false;
  #handlers: TransportHandlers | null = null;
  readonly iface: IfaceAddress;

  constructor(readonly link: MemoryLink, readonly address: string) {
    this.iface = { id: `mem0/${address}`, address };
  }

  open(handlers: TransportHandlers): Promise<void> {
    if (this.failOpen) return Promise.reject(new Error("address in use"));
    this.#handlers = handlers;
    this.link.members.set(this.address, this);
    return Promise.resolve();
  }

  refresh(): Promise<IfaceAddress[]> {
    this.refreshes++;
    return Promise.resolve([this.iface]);
  }

  send(d: Datagram): Promise<void> {
    if (this.failSends) return Promise.reject(new Error("network unreachable"));
    // Asynchronous, like a socket.
    queueMicrotask(() => this.link.deliver(this.address, d));
    return Promise.resolve();
  }

  receive(data: Uint8Array, from: { hostname: string; port: number }, unicast: boolean): void {
    this.#handlers?.onDatagram(data, from, this.iface.id, unicast);
  }

  fail(error: Error): void {
    this.#handlers?.onFatal(error);
  }

  close(): Promise<void> {
    this.link.members.delete(this.address);
    this.#handlers = null;
    return Promise.resolve();
  }
}

function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("timed out"));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function node(link: MemoryLink, address: string, peerId: string, events: string[] = []) {
  const transport = link.transport(address);
  const discovery = new Discovery({
    name: `n${address.split(".")[3]}`,
    peerId,
    port: 47800,
    protocolVersion: 1,
    rev: 0,
    transport,
    onPeer: (p: DiscoveredPeer) => events.push(`peer ${p.peerId} rev ${p.rev}`),
    onPeerLost: (id) => events.push(`lost ${id}`),
  });
  return { transport, discovery, events };
}

Deno.test("two Discovery services find each other, publish revisions, and say goodbye on abort", async () => {
  const link = new MemoryLink();
  const a = node(link, "10.77.0.2", "aaaaaaaaaaaaaaaa");
  const b = node(link, "10.77.0.3", "bbbbbbbbbbbbbbbb");
  const stopA = new AbortController();
  const stopB = new AbortController();
  const runA = a.discovery.run(stopA.signal);
  const runB = b.discovery.run(stopB.signal);
  try {
    await waitFor(() => a.discovery.peers().length === 1 && b.discovery.peers().length === 1, 3000);
    assertEquals(b.discovery.peers()[0]!.addrs, ["10.77.0.2"]);
    assertEquals(a.discovery.status(), {
      lastError: null,
      interfaces: ["mem0/10.77.0.2"],
      instanceName: "n2",
    });
    a.discovery.setRevision(9);
    await waitFor(() => b.discovery.peers()[0]?.rev === 9, 2000);
    stopA.abort();
    await runA;
    await waitFor(() => b.events.includes("lost aaaaaaaaaaaaaaaa"), 500);
    const goodbye = link.sent.filter((s) => s.from === "10.77.0.2").map((s) => decoded(s.d)).at(
      -1,
    )!;
    assert(goodbye.answers.every((r) => r.ttl === 0));
    assertEquals(a.discovery.peers(), []);
  } finally {
    stopA.abort();
    stopB.abort();
    await Promise.allSettled([runA, runB]);
  }
});

Deno.test("run rejects and reports the error when the transport cannot open", async () => {
  const link = new MemoryLink();
  const a = node(link, "10.77.0.2", "aaaaaaaaaaaaaaaa");
  a.transport.failOpen = true;
  await assertRejects(() => a.discovery.run(new AbortController().signal), Error, "address in use");
  assert(a.discovery.status().lastError?.includes("address in use"));
});

Deno.test("run rejects after cleaning up when the transport fails for good, and can run again", async () => {
  const link = new MemoryLink();
  const a = node(link, "10.77.0.2", "aaaaaaaaaaaaaaaa");
  const stop = new AbortController();
  const run = a.discovery.run(stop.signal);
  await waitFor(() => link.members.size === 1, 1000);
  a.transport.fail(new Error("socket closed under us"));
  await assertRejects(() => run, Error, "socket closed under us");
  assertEquals(link.members.size, 0, "transport closed");
  const again = a.discovery.run(stop.signal);
  await waitFor(() => link.members.size === 1, 1000);
  stop.abort();
  await again;
});

Deno.test("run refuses to run twice at once and returns at once when already aborted", async () => {
  const link = new MemoryLink();
  const a = node(link, "10.77.0.2", "aaaaaaaaaaaaaaaa");
  await a.discovery.run(AbortSignal.abort());
  const stop = new AbortController();
  const run = a.discovery.run(stop.signal);
  await assertRejects(() => a.discovery.run(stop.signal), Error, "already running");
  stop.abort();
  await run;
});

Deno.test("a failed send makes Discovery re-read the interfaces within about a second", async () => {
  const link = new MemoryLink();
  const a = node(link, "10.77.0.2", "aaaaaaaaaaaaaaaa");
  a.transport.failSends = true;
  const stop = new AbortController();
  const run = a.discovery.run(stop.signal);
  try {
    await waitFor(() => a.transport.refreshes >= 2, 2500);
  } finally {
    stop.abort();
    await run;
  }
});

Deno.test("the UDP transport opens and closes cleanly (ephemeral port, no interfaces, no traffic)", async () => {
  const transport = new UdpTransport({ port: 0, listInterfaces: () => [] });
  await transport.open({ onDatagram: () => {}, onFatal: () => {} });
  assertEquals(await transport.refresh(), []);
  await assertRejects(() =>
    transport.send({ iface: "eth0/10.0.0.1", to: "multicast", data: new Uint8Array(12) })
  );
  await transport.close();
});
