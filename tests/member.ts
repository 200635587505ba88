/**
 * A party member's QUIC endpoint on loopback, for tests and benchmarks that
 * speak the protocol themselves (to misbehave, or to time it).
 *
 * @module
 */
import { type Identity, loadIdentity } from "../src/peer/identity.ts";
import { Party } from "../src/peer/party.ts";
import { ALPN_ANY_VERSION, alpnFor, PROTOCOL_VERSION } from "../src/peer/protocol.ts";
import { Transport } from "../src/peer/transport.ts";

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
