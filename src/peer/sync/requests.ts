/**
 * What a connected peer may ask of us after hello, and who answers each
 * request (protocol.ts lists them): liveness, goodbye, library sync, and the
 * library's manifests and blocks. One dispatch table, so that a new request
 * type is a compile error until it is answered here.
 *
 * @module
 */
import type { BufferPool } from "../../common/buffer_pool.ts";
import type { RateGate } from "../../common/rate_limit.ts";
import { errorResponse, type Request } from "../../wire/messages.ts";
import type { Reply } from "../../wire/responder.ts";
import type { LibrarySync } from "./library_sync.ts";
import type { PeerRecord } from "./peer_table.ts";
import { type LibraryPort, reportBadBlock, serveManifest, serveUpload } from "./serve.ts";

/** What answering needs. */
export interface Answering {
  library: LibraryPort;
  sync: LibrarySync;
  uploadGate: RateGate;
  buffers: BufferPool;
  /** The peer said goodbye: drop it now (it closes the connection once it has our answer). */
  goodbye(record: PeerRecord): void;
}

/** The answer to `request` from the peer of `record`. */
export async function answer(a: Answering, record: PeerRecord, request: Request): Promise<Reply> {
  switch (request.type) {
    case "ping":
      return { message: { type: "pong" } };
    case "goodbye":
      a.goodbye(record);
      return { message: { type: "ok" } };
    case "library-delta":
      a.sync.receive(record, request.delta);
      return { message: { type: "ok" } };
    case "library-changed":
      a.sync.changed(record, request.rev);
      return { message: { type: "ok" } };
    case "get-library":
      return a.sync.page(record, request.rev, request.offset);
    case "report-bad-block":
      return reportBadBlock(a.library, record, request);
    case "get-manifest":
      return await serveManifest(a.library, request.game);
    case "get-block":
      return await serveUpload(a.library, record.uploads!, a.uploadGate, a.buffers, request);
    default:
      return { message: errorResponse("bad-request", "unknown request") };
  }
}
