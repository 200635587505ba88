/**
 * What the main thread and the extraction worker say to each other.
 *
 * @module
 */
import type { ArchiveErrorCode } from "./errors.ts";
import type { ArchiveSet } from "./find.ts";
import type { Inspection } from "./inspect.ts";
import type { ArchiveLimits } from "./limits.ts";
import type { ExtractResult } from "./engine.ts";
import type { ExtractProgress } from "./writer.ts";

/** The name of the worker, by which a bundled main module knows it must be the worker. */
export const WORKER_NAME = "lanspread-extract";

interface Common {
  sets: ArchiveSet[];
  limits?: Partial<ArchiveLimits>;
  /** One Int32 set to 1 when the caller aborts (read between chunks, even inside unrar). */
  abort: SharedArrayBuffer;
}

/** main → worker, once. */
export type Request =
  | Common & { op: "inspect" }
  | Common & {
    op: "extract";
    dest: string;
    freeBytes?: number;
    progressIntervalMs?: number;
  };

/** worker → main. */
export type Reply =
  | { type: "inspected"; totalBytes: number; entries: number }
  | { type: "progress"; progress: ExtractProgress }
  | { type: "done"; inspection?: Inspection; result?: ExtractResult }
  | {
    type: "error";
    name: string;
    message: string;
    code?: ArchiveErrorCode;
    archive?: string;
    entry?: string;
  };
