/**
 * The hello sub-protocol's shapes: who a peer is, and hello and hello-ack,
 * each a version-independent head (the only part two peers of different
 * versions exchange, on the plain `lanspread` ALPN) extended by this
 * version's first library page. Apart from the request and response unions
 * because hello is the first stream of a connection, before any of those.
 *
 * @module
 */
import { z } from "zod";
import { Addr, DisplayName, PeerId } from "./protocol.ts";
import { LibraryPage } from "./library_schemas.ts";

const Proof = z.string().regex(/^[0-9a-f]{64}$/, "not a proof");
const Nonce = z.string().regex(/^[0-9a-f]{32}$/, "not a nonce");

/** Who a peer is: the part of hello every protocol version shares. */
export const PeerInfo = z.object({
  protocolVersion: z.number().int().positive(),
  peerId: PeerId,
  name: DisplayName,
  /** The sender's listener address; a wildcard host means "the address you see me at". */
  addr: Addr,
});
export type PeerInfo = z.infer<typeof PeerInfo>;

/**
 * Version-independent head of hello: the proof (party.ts) covers the version
 * too, so a peer of another version is still proven a party member before it
 * is listed as incompatible.
 */
export const HelloEnvelope = PeerInfo.extend({
  type: z.literal("hello"),
  /** The peer id the client expects to reach, when it knows it. */
  to: PeerId.nullable(),
  nonce: Nonce,
  proof: Proof,
});
export type HelloEnvelope = z.infer<typeof HelloEnvelope>;

export const Hello = HelloEnvelope.extend({ library: LibraryPage });
export type Hello = z.infer<typeof Hello>;

/** Version-independent head of hello-ack. */
export const AckEnvelope = PeerInfo.extend({ type: z.literal("hello-ack"), proof: Proof });
export type AckEnvelope = z.infer<typeof AckEnvelope>;

export const HelloAck = AckEnvelope.extend({ library: LibraryPage });
export type HelloAck = z.infer<typeof HelloAck>;
