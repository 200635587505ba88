/**
 * Hello exchange, the first stream of every connection (DESIGN §4, §5).
 *
 * ```
 * client                                   server
 *   hello {version, id, name, addr, to, nonce, proof, library}  ->
 *                                          verify proof (party member?)
 *                                          check `to` (am I the one asked for?)
 *                                          compare versions
 *   <- hello-ack {version, id, name, addr, proof, library}
 *   <- error version-mismatch {peer: ack envelope with proof}
 *   <- error unauthorized | bad-request
 * ```
 *
 * The server sends nothing about its library, and serves nothing, before
 * the client's proof checks out. The proofs cover the protocol version, so
 * an incompatible peer is still a proven party member before it is listed.
 *
 * @module
 */
import {
  AckEnvelope,
  CLOSE,
  describeIssues,
  ErrorMessage,
  errorResponse,
  Hello,
  HelloAck,
  HelloEnvelope,
  type LibrarySnapshot,
  LIMITS,
  type PeerInfo,
} from "../../wire/protocol.ts";
import { ackFields, helloFields, type Party } from "../../trust/party.ts";
import { hex } from "../../common/encoding.ts";
import { FrameReader, FramingError } from "../../wire/framing.ts";
import { abortable } from "../../common/async.ts";
import { errorMessage } from "../../common/errors.ts";
import { respond, type Session } from "../../wire/session.ts";

/** What the handshake needs to know about us. */
export interface LocalPeer {
  peerId: string;
  name: string;
  /** Our advertised listener address. */
  addr: string;
  protocolVersion: number;
  party: Party;
  snapshot(): LibrarySnapshot;
}

export type HandshakeResult =
  | { kind: "ok"; peer: PeerInfo; library: LibrarySnapshot; sent: LibrarySnapshot }
  | { kind: "incompatible"; peer: PeerInfo }
  | { kind: "refused"; reason: string };

function info(envelope: PeerInfo): PeerInfo {
  const { protocolVersion, peerId, name, addr } = envelope;
  return { protocolVersion, peerId, name, addr };
}

/** Client side: says hello and checks the answer. */
export async function clientHello(
  session: Session,
  local: LocalPeer,
  expectedId: string | null,
  signal?: AbortSignal,
): Promise<HandshakeResult> {
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const fields = helloFields(local.protocolVersion, local.peerId, expectedId, nonce);
  const sent = local.snapshot();
  const hello: Hello = {
    type: "hello",
    protocolVersion: local.protocolVersion,
    peerId: local.peerId,
    name: local.name,
    addr: local.addr,
    to: expectedId,
    nonce,
    proof: await local.party.prove(fields),
    library: sent,
  };
  let header: Record<string, unknown>;
  try {
    ({ header } = await session.exchange(hello, { signal, timeoutMs: LIMITS.helloTimeoutMs }));
  } catch (error) {
    return { kind: "refused", reason: `no answer to hello: ${errorMessage(error)}` };
  }
  const verifyAck = async (ack: AckEnvelope) =>
    await local.party.verify(
      ack.proof,
      ackFields(ack.protocolVersion, ack.peerId, local.peerId, nonce),
    );
  if (header.type === "error") {
    const error = ErrorMessage.safeParse(header);
    if (!error.success) return { kind: "refused", reason: "malformed error answer to hello" };
    const peer = error.data.peer;
    if (error.data.code === "version-mismatch" && peer && await verifyAck(peer)) {
      return { kind: "incompatible", peer: info(peer) };
    }
    return { kind: "refused", reason: `${error.data.code}: ${error.data.message}` };
  }
  const envelope = AckEnvelope.safeParse(header);
  if (!envelope.success) {
    return { kind: "refused", reason: `bad hello-ack: ${describeIssues(envelope.error)}` };
  }
  if (!await verifyAck(envelope.data)) {
    return { kind: "refused", reason: "hello-ack party proof failed" };
  }
  if (expectedId && envelope.data.peerId !== expectedId) {
    return { kind: "refused", reason: `reached ${envelope.data.peerId}, not ${expectedId}` };
  }
  if (envelope.data.protocolVersion !== local.protocolVersion) {
    return { kind: "incompatible", peer: info(envelope.data) };
  }
  const ack = HelloAck.safeParse(header);
  if (!ack.success) {
    return { kind: "refused", reason: `bad hello-ack: ${describeIssues(ack.error)}` };
  }
  return { kind: "ok", peer: info(ack.data), library: ack.data.library, sent };
}

/** Server side: waits for the client's hello and answers it. */
export async function serverHello(
  session: Session,
  local: LocalPeer,
  signal?: AbortSignal,
): Promise<HandshakeResult> {
  const timeout = AbortSignal.timeout(LIMITS.helloTimeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const stream = await abortable(session.nextStream(), both).catch(() => null);
  if (!stream) return { kind: "refused", reason: "no hello in time" };
  const reader = new FrameReader(stream.readable);
  let header: Record<string, unknown>;
  try {
    const frame = await abortable(reader.read(), both);
    if (!frame) return { kind: "refused", reason: "stream closed before hello" };
    header = frame.header;
  } catch (error) {
    if (error instanceof FramingError) session.close(CLOSE.protocolViolation, "bad hello frame");
    return { kind: "refused", reason: `hello not received: ${errorMessage(error)}` };
  }
  const result = await judgeHello(header, local);
  await respond(stream.writable, result.answer).catch(() => {});
  await reader.cancel();
  return result.outcome;
}

/** The answer to send and what the handshake concluded. */
type Judged = { answer: ErrorMessage | HelloAck; outcome: HandshakeResult };

async function judgeHello(header: Record<string, unknown>, local: LocalPeer): Promise<Judged> {
  const refuse = (code: "bad-request" | "unauthorized", reason: string): Judged => ({
    answer: errorResponse(code, reason),
    outcome: { kind: "refused", reason },
  });
  const envelope = HelloEnvelope.safeParse(header);
  if (!envelope.success) {
    return refuse("bad-request", `expected hello: ${describeIssues(envelope.error)}`);
  }
  const h = envelope.data;
  const fields = helloFields(h.protocolVersion, h.peerId, h.to, h.nonce);
  if (!await local.party.verify(h.proof, fields)) {
    return refuse("unauthorized", "party proof failed (different party key?)");
  }
  if (h.to !== null && h.to !== local.peerId) {
    return refuse("unauthorized", `this is ${local.peerId}, not ${h.to}`);
  }
  const ack: AckEnvelope = {
    type: "hello-ack",
    protocolVersion: local.protocolVersion,
    peerId: local.peerId,
    name: local.name,
    addr: local.addr,
    proof: await local.party.prove(
      ackFields(local.protocolVersion, local.peerId, h.peerId, h.nonce),
    ),
  };
  if (h.protocolVersion !== local.protocolVersion) {
    const message = `protocol version ${h.protocolVersion} is not ${local.protocolVersion} (ours)`;
    return {
      answer: errorResponse("version-mismatch", message, { peer: ack }),
      outcome: { kind: "incompatible", peer: info(h) },
    };
  }
  const hello = Hello.safeParse(header);
  if (!hello.success) return refuse("bad-request", `bad hello: ${describeIssues(hello.error)}`);
  const sent = local.snapshot();
  return {
    answer: { ...ack, library: sent },
    outcome: { kind: "ok", peer: info(h), library: hello.data.library, sent },
  };
}
