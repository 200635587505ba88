/**
 * A party member's QUIC endpoint on loopback, for tests and benchmarks that
 * speak the protocol themselves (to misbehave, or to time it).
 *
 * @module
 */
import { type Identity, loadIdentity } from "../src/trust/identity.ts";
import { Party, PARTY_SERVER_NAME } from "../src/trust/party.ts";
import { Session } from "../src/wire/session.ts";
import { clientHello } from "../src/peer/sync/handshake.ts";
import { ALPN_ANY_VERSION, alpnFor, PROTOCOL_VERSION } from "../src/wire/protocol.ts";
import { errorResponse } from "../src/wire/messages.ts";
import { Transport } from "../src/wire/transport.ts";

export interface Member {
  party: Party;
  identity: Identity;
  transport: Transport;
}

/** Binds 127.0.0.1 on a free port as a member of `partyKey`, identity kept in `stateDir`. */
export async function member(stateDir: string, partyKey: string, party?: Party): Promise<Member> {
  party ??= await Party.derive(partyKey);
  const identity = await loadIdentity(stateDir, party);
  const transport = Transport.bind({
    hostname: "127.0.0.1",
    port: 0,
    keyPem: identity.keyPem,
    certPem: identity.certPem,
    caCertPem: party.caCertPem,
    alpnProtocols: [alpnFor(PROTOCOL_VERSION), ALPN_ANY_VERSION],
  });
  return { party, identity, transport };
}

/**
 * A session past hello with the peer at `addr`, as a fresh member of
 * `partyKey` whose identity lives in `stateDir`: for tests that send
 * requests of their own. It answers the peer's pings and library pushes as
 * a peer would, so that a member silent for longer than the liveness
 * timeout (a benchmark between two phases) is not dropped.
 */
export async function helloSession(
  stateDir: string,
  partyKey: string,
  addr: { hostname: string; port: number },
): Promise<{ session: Session; close: () => void }> {
  const { party, identity, transport } = await member(stateDir, partyKey);
  const session = new Session(
    await transport.connect({ ...addr, serverName: PARTY_SERVER_NAME }),
  );
  const result = await clientHello(session, {
    peerId: identity.peerId,
    name: "member",
    addr: `127.0.0.1:${transport.addr.port}`,
    protocolVersion: PROTOCOL_VERSION,
    party,
    snapshot: () => ({ rev: 0, games: [] }),
  });
  if (result.kind !== "ok") throw new Error(`hello failed: ${JSON.stringify(result)}`);
  session.serve((request) =>
    Promise.resolve({
      message: request.type === "ping" || request.type === "library-delta"
        ? { type: "ok" as const }
        : errorResponse("not-found", `a test member does not answer ${request.type}`),
    })
  ).catch(() => {});
  return { session, close: () => transport.close() };
}
