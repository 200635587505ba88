/**
 * Pieces several pages share: the cover, the progress of an operation, the
 * action buttons (named by their verb; the client module posts their JSON
 * body) and the speed sparkline.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { DownloadView, GameRow } from "../../peer/views.ts";
import { formatEta, formatSpeed, percent } from "./format.ts";
import { hueIndex, initials } from "./cover.ts";
import type { Action } from "./state.ts";

export const Cover: FC<{ g: GameRow; big?: boolean }> = ({ g, big }) =>
  g.cover
    ? (
      <img
        class={big ? "cover big" : "cover"}
        src={`/api/v1/games/${encodeURIComponent(g.id)}/cover`}
        alt=""
        loading="lazy"
        width={big ? 240 : 150}
        height={big ? 320 : 200}
      />
    )
    : (
      <div
        class={`cover placeholder hue-${hueIndex(g.name)}${big ? " big" : ""}`}
        aria-hidden="true"
      >
        {initials(g.name)}
      </div>
    );

const PHASES: Record<DownloadView["phase"], string> = {
  preparing: "Preparing",
  downloading: "Downloading",
  stalled: "Stalled",
  verifying: "Verifying",
  committing: "Finishing",
  blocked: "Waiting",
};

/** The phase, bar, speed, time left and sources of a download (live-updated in place). */
export const Progress: FC<{ name: string; d: DownloadView | null; game: string }> = (
  { name, d, game },
) => {
  const pct = d ? percent(d.doneBytes, d.totalBytes) : 0;
  const active = d ? d.sources.filter((s) => s.bytesPerSecond > 0).length : 0;
  return (
    <div class="progress" data-progress={game}>
      <p class="phase">
        <span data-field="phase">{d ? PHASES[d.phase] : "Preparing"}</span>{" "}
        <span data-field="pct">{`${pct}%`}</span>
      </p>
      <progress max={100} value={pct} aria-label={`${name} download progress`}></progress>
      <p class="rate">
        <span data-field="speed">{formatSpeed(d?.bytesPerSecond ?? 0)}</span>
        {" · "}
        <span data-field="eta">{`${formatEta(d?.etaSeconds ?? null)} left`}</span>
        {" · "}
        <span data-field="sources">{`${active || d?.sources.length || 0} sources`}</span>
      </p>
      {d?.waiting && <p class="waiting">{d.waiting}</p>}
    </div>
  );
};

/** The bar of an install or update (live-updated in place by `install-progress`). */
export const InstallProgress: FC<{ g: GameRow }> = ({ g }) => {
  const p = g.install;
  const pct = p ? percent(p.doneBytes, p.totalBytes) : 0;
  return (
    <div class="progress" data-progress={g.id}>
      <p class="phase">
        <span data-field="phase">{g.operation === "update" ? "Updating" : "Installing"}</span>{" "}
        <span data-field="pct">{`${pct}%`}</span>
      </p>
      <progress max={100} value={pct} aria-label={`${g.name} install progress`}></progress>
      <p class="rate">
        <span data-field="speed">{formatSpeed(p?.bytesPerSecond ?? 0)}</span>
        {" · "}
        <span data-field="archive">{p?.archive ?? ""}</span>
      </p>
    </div>
  );
};

/** A button that posts an action for a game; `confirm` asks first. */
export const ActionButton: FC<{
  game: GameRow;
  action: Pick<Action, "verb" | "label" | "body">;
  keyName: string;
  kind?: "primary" | "secondary" | "danger";
  confirm?: string;
}> = ({ game, action, keyName, kind, confirm }) => (
  <button
    type="button"
    class={kind ?? "primary"}
    data-action={action.verb}
    data-game={game.id}
    data-name={game.name}
    data-body={JSON.stringify(action.body)}
    data-key={`${game.id}:${keyName}`}
    data-confirm={confirm}
  >
    {action.label}
  </button>
);

/** Recent speeds as a line: inline SVG, no script. */
export const Sparkline: FC<{ history: number[] }> = ({ history }) => {
  const w = 240;
  const h = 48;
  const peak = Math.max(1, ...history);
  const step = history.length > 1 ? w / (history.length - 1) : w;
  const points = history.map((v, i) =>
    `${(i * step).toFixed(1)},${(h - 2 - (v / peak) * (h - 4)).toFixed(1)}`
  ).join(" ");
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${w} ${h}`}
      width={w}
      height={h}
      role="img"
      aria-label={`Speed over the last ${history.length} samples, peak ${formatSpeed(peak)}`}
    >
      <polyline points={points} fill="none" />
    </svg>
  );
};
