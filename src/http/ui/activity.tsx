/**
 * The activity log: the peer's events newest first, in words, filterable by
 * kind. Progress ticks are left out (they are the progress bars' business).
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { LoggedEvent } from "../../common/events.ts";
import { formatBytes, formatTime } from "./format.ts";

export const KINDS = ["all", "downloads", "peers", "library", "problems"] as const;
export type Kind = typeof KINDS[number];
const KIND_LABELS: Record<Kind, string> = {
  all: "Everything",
  downloads: "Downloads and installs",
  peers: "Peers",
  library: "Library",
  problems: "Problems",
};

/** Events listed at most (the log holds more; the page stays small). */
export const MAX_ROWS = 300;

/** The kind of an event, for filters and for the client's refresh rules. */
export function kindOf(event: string): Exclude<Kind, "all"> | "progress" {
  if (event.endsWith("-progress")) return "progress";
  if (event.endsWith("-failed") || event === "service-error" || event === "peer-refused") {
    return "problems";
  }
  if (event.startsWith("peer-") && event !== "peer-library-changed") return "peers";
  if (event.includes("library") || event === "local-peer-ready") return "library";
  return "downloads";
}

/** "1 file", "2 files". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** One sentence for an event; `name` turns ids into names. */
export function describe(e: LoggedEvent, name: (id: string) => string): string {
  const d = e.data as Record<string, unknown>;
  const game = typeof d.game === "string" ? name(d.game) : "";
  const peer = typeof d.peerId === "string" ? String(d.name ?? name(d.peerId)) : "";
  switch (e.event) {
    case "local-peer-ready":
      return `This peer is ready at ${d.addr}`;
    case "peer-discovered":
      return `Found ${d.name} at ${d.addr}`;
    case "peer-connected":
      return `${peer} connected (${d.addr})`;
    case "peer-incompatible":
      return `${peer} is incompatible: protocol v${d.protocolVersion}, ours v${d.ourProtocolVersion}`;
    case "peer-refused":
      return `Refused ${d.addr}: ${d.reason}`;
    case "peer-lost":
      return `${peer} left (${d.reason})`;
    case "peer-library-changed":
      return `${peer}'s library changed`;
    case "local-library-changed":
      return `Our library changed (revision ${d.rev})`;
    case "library-hashed":
      return `${game} is ready to share`;
    case "download-begin":
      return `Downloading ${game} (${formatBytes(Number(d.bytes))}) from ${
        (d.sources as unknown[]).length
      } peers`;
    case "download-finished":
      return `${game} downloaded in ${(Number(d.ms) / 1000).toFixed(1)} s`;
    case "download-failed":
      return `Download of ${game} failed: ${d.message} (${d.code})`;
    case "download-stalled":
      return `Download of ${game} stalled: ${d.reason ?? "no source left"}`;
    case "download-blocked":
      return `Download of ${game} waits: ${d.message}`;
    case "download-version-changed":
      return `Download of ${game} follows the peers from v${d.fromVersion} to v${d.toVersion}`;
    case "download-resumed":
      return `Download of ${game} resumed`;
    case "download-cancelled":
      return `Download of ${game} cancelled`;
    case "download-source-dropped":
      return `${name(String(d.peerId))} dropped from ${game}: ${d.reason}`;
    case "install-begin":
      return `Installing ${game} ${d.version} (${
        count((d.archives as unknown[]).length, "archive")
      }, ${formatBytes(Number(d.bytes))})`;
    case "install-finished":
      return `${game} ${d.version} installed (${count(Number(d.files), "file")}, ${
        formatBytes(Number(d.bytes))
      })`;
    case "uninstall-finished":
      return `${game} uninstalled`;
    case "remove-finished":
      return `The files of ${game} were removed`;
    case "game-started":
      return `${game} started${d.server ? " (server)" : ""}`;
    case "game-exited":
      return `${game} exited with code ${d.code}`;
    case "operation-changed":
      return d.operation ? `${game}: ${d.operation} started` : `${game}: done`;
    case "install-failed":
      return `Install of ${game} failed: ${d.message} (${d.code})`;
    case "service-error":
      return `Service ${d.service} failed: ${d.message}`;
    case "runtime-failed":
      return `The peer failed (${d.component}): ${d.message}`;
  }
  const rest = e as { event: string };
  return `${rest.event}${game ? ` ${game}` : ""}`;
}

export const ActivityView: FC<{
  events: LoggedEvent[];
  kind: Kind;
  name: (id: string) => string;
}> = ({ events, kind, name }) => {
  const rows: LoggedEvent[] = [];
  for (let i = events.length - 1; i >= 0 && rows.length < MAX_ROWS; i--) {
    const e = events[i]!;
    const k = kindOf(e.event);
    if (k !== "progress" && (kind === "all" || k === kind)) rows.push(e);
  }
  return (
    <>
      <h1>Activity</h1>
      <nav aria-label="Show" class="filters">
        {KINDS.map((k) => (
          <a
            href={k === "all" ? "/activity" : `/activity?kind=${k}`}
            aria-current={k === kind ? "page" : undefined}
            data-nav=""
            data-key={`kind:${k}`}
          >
            {KIND_LABELS[k]}
          </a>
        ))}
      </nav>
      {rows.length === 0 ? <p class="empty">Nothing yet.</p> : (
        <ol class="log" reversed>
          {rows.map((e) => (
            <li class={`kind-${kindOf(e.event)}`}>
              <time datetime={new Date(e.time).toISOString()}>{formatTime(e.time)}</time>{" "}
              <span class="what">{describe(e, name)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
};
