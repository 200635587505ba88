/**
 * The extraction worker: runs inspection or extraction (engine.ts) off the
 * peer's event loop and reports over `postMessage` (protocol: _messages.ts).
 * In source mode this file is the worker's entry; in a bundle or compiled
 * binary the program's own main module is, and calls
 * {@linkcode runExtractWorker} when {@linkcode isExtractWorker}.
 *
 * @module
 */
import { ArchiveError } from "./errors.ts";
import { extractSets, inspectSets } from "./engine.ts";
import { type Reply, type Request, WORKER_NAME } from "./_messages.ts";

/** Whether this thread is an extraction worker (checked first thing by main modules). */
export function isExtractWorker(): boolean {
  return (globalThis as { name?: unknown }).name === WORKER_NAME;
}

function abortError(): DOMException {
  return new DOMException("extraction aborted", "AbortError");
}

/** Serves one request, then closes the worker. */
export function runExtractWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<Request>) => void) | null;
    postMessage(message: Reply): void;
    close(): void;
  };
  scope.onmessage = async (event) => {
    scope.onmessage = null;
    const request = event.data;
    const flag = new Int32Array(request.abort);
    const checkAborted = () => {
      if (Atomics.load(flag, 0) !== 0) throw abortError();
    };
    try {
      if (request.op === "inspect") {
        const inspection = await inspectSets(request.sets, {
          limits: request.limits,
          checkAborted,
        });
        scope.postMessage({ type: "done", inspection });
      } else {
        const result = await extractSets(request.sets, request.dest, {
          limits: request.limits,
          freeBytes: request.freeBytes,
          checkAborted,
          progressIntervalMs: request.progressIntervalMs,
          onInspected: (i) =>
            scope.postMessage({
              type: "inspected",
              totalBytes: i.totalBytes,
              entries: i.entries.length,
            }),
          onProgress: (progress) => scope.postMessage({ type: "progress", progress }),
        });
        scope.postMessage({ type: "done", result });
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      scope.postMessage({
        type: "error",
        name: e.name,
        message: e.message,
        code: e instanceof ArchiveError ? e.code : undefined,
        archive: e instanceof ArchiveError ? e.archive : undefined,
        entry: e instanceof ArchiveError ? e.entry : undefined,
      });
    }
    scope.close();
  };
}

if (import.meta.main) runExtractWorker();
