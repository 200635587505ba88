/**
 * The API the peer calls: inspection and extraction run in a Web Worker, so
 * the peer's event loop keeps serving while a game installs.
 *
 * @module
 */
import { ArchiveError } from "./errors.ts";
import type { ArchiveSet } from "./find.ts";
import type { Inspection } from "./inspect.ts";
import type { ArchiveLimits } from "./limits.ts";
import type { ExtractResult } from "./engine.ts";
import type { ExtractProgress } from "./writer.ts";
import { type Reply, type Request, WORKER_NAME } from "./_messages.ts";

/** Options of {@linkcode inspectArchives}. */
export interface InspectOptions {
  /** Stops the work promptly; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Caps replacing those of `ARCHIVE_LIMITS` (limits.ts). @default ARCHIVE_LIMITS */
  limits?: Partial<ArchiveLimits>;
}

/** Options of {@linkcode extractArchives}. */
export interface ExtractOptions extends InspectOptions {
  /** Called at most every `progressIntervalMs` while writing, and once per set as it starts. */
  onProgress?: (progress: ExtractProgress) => void;
  /** Called once every entry is checked and the free space suffices, before anything is written. */
  onInspected?: (summary: { totalBytes: number; entries: number }) => void;
  /** Free bytes at the destination. @default read with statfs; the check is skipped when unknown */
  freeBytes?: number;
  /** @default 250 */
  progressIntervalMs?: number;
}

/** Where the worker's code is: this folder from source, else the program's own main module. */
function workerUrl(): string | URL {
  const fromSource = import.meta.url.endsWith("/src/archive/extract.ts") && !Deno.build.standalone;
  return fromSource ? new URL("./worker.ts", import.meta.url) : Deno.mainModule;
}

function run<T>(
  request: Omit<Request, "abort">,
  signal: AbortSignal | undefined,
  onReply: (reply: Reply) => void,
  pick: (reply: Extract<Reply, { type: "done" }>) => T,
): Promise<T> {
  signal?.throwIfAborted();
  const abort = new SharedArrayBuffer(4);
  const worker = new Worker(workerUrl(), { type: "module", name: WORKER_NAME });
  return new Promise<T>((resolve, reject) => {
    let killer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(killer);
      worker.terminate();
    };
    const onAbort = () => {
      Atomics.store(new Int32Array(abort), 0, 1);
      // The worker stops at its next chunk; one stuck in a system call is ended anyway.
      killer = setTimeout(() => {
        finish();
        reject(signal!.reason);
      }, 2000);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      if (reply.type === "done") {
        finish();
        resolve(pick(reply));
      } else if (reply.type === "error") {
        finish();
        if (signal?.aborted && reply.name === "AbortError") reject(signal.reason);
        else if (reply.code) {
          reject(new ArchiveError(reply.code, reply.message, reply.archive, reply.entry));
        } else reject(new ArchiveError("io-error", reply.message));
      } else onReply(reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      reject(new Error(`extraction worker failed: ${event.message}`));
    };
    worker.postMessage({ ...request, abort } as Request);
  });
}

/**
 * Lists and checks every entry of `sets` without writing anything: rejects
 * with an {@linkcode ArchiveError} on the first refusal (see mod.ts).
 */
export function inspectArchives(
  sets: ArchiveSet[],
  options: InspectOptions = {},
): Promise<Inspection> {
  const request = { op: "inspect" as const, sets, limits: options.limits };
  return run(request, options.signal, () => {}, (reply) => reply.inspection!);
}

/**
 * Inspects `sets`, checks the free space at `dest`, then extracts them in
 * order into `dest` (an existing, empty folder the caller owns).
 */
export function extractArchives(
  sets: ArchiveSet[],
  dest: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const request = {
    op: "extract" as const,
    sets,
    dest,
    limits: options.limits,
    freeBytes: options.freeBytes,
    progressIntervalMs: options.progressIntervalMs,
  };
  return run(request, options.signal, (reply) => {
    if (reply.type === "progress") options.onProgress?.(reply.progress);
    if (reply.type === "inspected") options.onInspected?.(reply);
  }, (reply) => reply.result!);
}
