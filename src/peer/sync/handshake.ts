/**
 * Hello exchange, the first stream of every connection (README "The party key", README "How peers talk").
 *
 * ```
 * client                                   server
 *   hello {version, id, name, addr, to, nonce, proof, library: first page}  ->
 *                                          verify proof (party member?)
 *                                          check `to` (am I the one asked for?)
 *                                          refuse ourselves (an address of ours)
 *                                          compare versions
 *   <- hello-ack {version, id, name, addr, proof, library: first page}
 *   <- error version-mismatch {peer: ack envelope with proof}
 *   <- error unauthorized | bad-request
 * ```
 *
 * Each side sends the first page of its snapshot (wire/library_schemas.ts); the rest is
 * fetched with get-library once the connection is up (library_sync.ts).
 *
 * The server sends nothing about its library, and serves nothing, before
 * the client's proof checks out. The proofs cover the protocol version, so
 * an incompatible peer is still a proven party member before it is listed.
 *
 * @module
 */
import { CLOSE, describeIssues, LIMITS } from "../../wire/protocol.ts";
import { ErrorMessage, errorResponse } from "../../wire/messages.ts";
import {
  AckEnvelope,
  Hello,
  HelloAck,
  HelloEnvelope,
  type PeerInfo,
} from "../../wire/handshake_schemas.ts";
import type { LibrarySnapshot, RawLibraryPage } from "../../wire/library_schemas.ts";
import { pageOf } from "./pages.ts";
import { ackFields, helloFields, type Party } from "../../trust/party.ts";
import { hex } from "../../common/encoding.ts";
import { FrameReader, FramingError } from "../../wire/framing.ts";
import { abortable } from "../../common/async.ts";
import { errorMessage } from "../../common/errors.ts";
import { respond } from "../../wire/responder.ts";
import type { Session } from "../../wire/session.ts";

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
  /** `page`: the first page of the peer's library; `sent`: the snapshot we sent the first page of. */
  | { kind: "ok"; peer: PeerInfo; page: RawLibraryPage; sent: LibrarySnapshot }
  | { kind: "incompatible"; peer: PeerInfo }
  /** `code`: bad-request when the other side said so, unreachable without an answer. */
  | { kind: "refused"; reason: string; code: RefusalCode };

export type RefusalCode = "unauthorized" | "bad-request" | "unreachable";

/** Why a peer refuses a hello from its own peer id: we dialled an address of ours. */
export const SELF_REFUSAL = "that address is this peer itself";

function info(envelope: PeerInfo): PeerInfo {
  const { protocolVersion, peerId, name, addr } = envelope;
  return { protocolVersion, peerId, name, addr };
}

/** Client side: says hello and checks the answer. */
export async function clientHello(
  session: Session,
  local: LocalPeer,
  options: {
    /** The peer id we expect to reach (pinned), or null for a first contact. @default {null} */
    expectedId?: string | null;
    signal?: AbortSignal;
  } = {},
): Promise<HandshakeResult> {
  const { signal } = options;
  const expectedId = options.expectedId ?? null;
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const fields = helloFields({
    version: local.protocolVersion,
    clientId: local.peerId,
    to: expectedId,
    nonce,
  });
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
    library: pageOf(sent, 0),
  };
  let header: Record<string, unknown>;
  try {
    ({ header } = await session.exchange(hello, { signal, timeoutMs: LIMITS.helloTimeoutMs }));
  } catch (error) {
    return refused(`no answer to hello: ${errorMessage(error)}`, "unreachable");
  }
  const verifyAck = async (ack: AckEnvelope) =>
    await local.party.verify(
      ack.proof,
      ackFields({
        version: ack.protocolVersion,
        serverId: ack.peerId,
        clientId: local.peerId,
        nonce,
      }),
    );
  if (header.type === "error") {
    const error = ErrorMessage.safeParse(header);
    if (!error.success) return refused("malformed error answer to hello");
    const peer = error.data.peer;
    if (error.data.code === "version-mismatch" && peer && await verifyAck(peer)) {
      return { kind: "incompatible", peer: info(peer) };
    }
    const code = error.data.code === "bad-request" ? "bad-request" : "unauthorized";
    return refused(`${error.data.code}: ${error.data.message}`, code);
  }
  const envelope = AckEnvelope.safeParse(header);
  if (!envelope.success) return refused(`bad hello-ack: ${describeIssues(envelope.error)}`);
  if (!await verifyAck(envelope.data)) return refused("hello-ack party proof failed");
  if (expectedId && envelope.data.peerId !== expectedId) {
    return refused(`reached ${envelope.data.peerId}, not ${expectedId}`);
  }
  if (envelope.data.peerId === local.peerId) return refused(SELF_REFUSAL, "bad-request");
  if (envelope.data.protocolVersion !== local.protocolVersion) {
    return { kind: "incompatible", peer: info(envelope.data) };
  }
  const ack = HelloAck.safeParse(header);
  if (!ack.success) return refused(`bad hello-ack: ${describeIssues(ack.error)}`);
  return { kind: "ok", peer: info(ack.data), page: ack.data.library, sent };
}

function refused(reason: string, code: RefusalCode = "unauthorized"): HandshakeResult {
  return { kind: "refused", reason, code };
}

/** Server side: waits for the client's hello and answers it. */
export async function serverHello(
  session: Session,
  local: LocalPeer,
  signal?: AbortSignal,
): Promise<HandshakeResult> {
  const timeout = AbortSignal.timeout(LIMITS.helloTimeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const stream = await abortable(session.nextStream(), { signal: both }).catch(() => null);
  if (!stream) return refused("no hello in time", "unreachable");
  const reader = new FrameReader(stream.readable);
  let header: Record<string, unknown>;
  try {
    const frame = await abortable(reader.read(), { signal: both });
    if (!frame) return refused("stream closed before hello", "unreachable");
    header = frame.header;
  } catch (error) {
    if (error instanceof FramingError) session.close(CLOSE.protocolViolation, "bad hello frame");
    return refused(`hello not received: ${errorMessage(error)}`, "unreachable");
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
    outcome: refused(reason, code),
  });
  const envelope = HelloEnvelope.safeParse(header);
  if (!envelope.success) {
    return refuse("bad-request", `expected hello: ${describeIssues(envelope.error)}`);
  }
  const h = envelope.data;
  const fields = helloFields({
    version: h.protocolVersion,
    clientId: h.peerId,
    to: h.to,
    nonce: h.nonce,
  });
  if (!await local.party.verify(h.proof, fields)) {
    return refuse("unauthorized", "party proof failed (different party key?)");
  }
  if (h.to !== null && h.to !== local.peerId) {
    return refuse("unauthorized", `this is ${local.peerId}, not ${h.to}`);
  }
  if (h.peerId === local.peerId) return refuse("bad-request", SELF_REFUSAL);
  const ack: AckEnvelope = {
    type: "hello-ack",
    protocolVersion: local.protocolVersion,
    peerId: local.peerId,
    name: local.name,
    addr: local.addr,
    proof: await local.party.prove(
      ackFields({
        version: local.protocolVersion,
        serverId: local.peerId,
        clientId: h.peerId,
        nonce: h.nonce,
      }),
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
    answer: { ...ack, library: pageOf(sent, 0) },
    outcome: { kind: "ok", peer: info(h), page: hello.data.library, sent },
  };
}
