/**
 * The library: a grid of game cards with filters, search and sort. Filtering
 * and paging happen on the server (2,000 games stay a small page); the
 * client module swaps `#view` as the search text changes.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { DownloadView, GameRow } from "../../peer/views.ts";
import { formatBytes } from "./format.ts";
import { ActionButton, Cover, InstallProgress, Progress } from "./parts.tsx";
import {
  type Abilities,
  type Filter,
  FILTER_LABELS,
  FILTERS,
  gameState,
  hasUpdate,
  matchesFilter,
  matchesSearch,
  primaryAction,
  type Sort,
  sortGames,
  SORTS,
} from "./state.ts";

/** Cards per page; "Show more" adds as many. */
export const PAGE_SIZE = 60;

export interface LibraryQuery {
  q: string;
  filter: Filter;
  sort: Sort;
  page: number;
}

/** Reads the query leniently: an unknown value falls back to the default. */
export function libraryQuery(get: (name: string) => string | undefined): LibraryQuery {
  const filter = get("filter") as Filter;
  const sort = get("sort") as Sort;
  const page = Number(get("page"));
  return {
    q: (get("q") ?? "").trim().slice(0, 100),
    filter: FILTERS.includes(filter) ? filter : "all",
    sort: SORTS.includes(sort) ? sort : "name",
    page: Number.isInteger(page) && page >= 1 && page <= 1000 ? page : 1,
  };
}

export function libraryHref(q: LibraryQuery, change: Partial<LibraryQuery> = {}): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.q) params.set("q", next.q);
  if (next.filter !== "all") params.set("filter", next.filter);
  if (next.sort !== "name") params.set("sort", next.sort);
  if (next.page > 1) params.set("page", String(next.page));
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

export const Card: FC<{ g: GameRow; d: DownloadView | null; can: Abilities }> = (
  { g, d, can },
) => {
  const state = gameState(g);
  const action = primaryAction(g, can);
  const title = `title-${g.id}`;
  return (
    <article class={`card state-${state.toLowerCase()}`} aria-labelledby={title} data-game={g.id}>
      <Cover g={g} />
      <div class="card-body">
        <h3 id={title}>
          <a href={`/games/${encodeURIComponent(g.id)}`} data-key={`${g.id}:link`}>{g.name}</a>
        </h3>
        <p class="meta">
          {formatBytes(g.size)}
          {g.genre && ` · ${g.genre}`}
        </p>
        <p class="meta">
          {g.peerCount === 1 ? "1 peer" : `${g.peerCount} peers`}
          {g.latestVersion && ` · v${g.latestVersion}`}
        </p>
        <p class="state-line">
          <span class={`badge ${state.toLowerCase()}`} data-field="state">{state}</span>
          {hasUpdate(g) && <span class="update">{`update: v${g.latestVersion}`}</span>}
        </p>
        {g.operation === "download" && <Progress name={g.name} d={d} game={g.id} />}
        {(g.operation === "install" || g.operation === "update") && <InstallProgress g={g} />}
        {action && <ActionButton game={g} action={action} keyName="primary" />}
      </div>
    </article>
  );
};

export const LibraryToolbar: FC<{ q: LibraryQuery }> = ({ q }) => (
  <form class="toolbar" role="search" method="get" action="/" id="library-form">
    <label for="q" class="sr-only">Search games</label>
    <input
      id="q"
      name="q"
      type="search"
      value={q.q}
      placeholder="Search games (press /)"
      autocomplete="off"
      aria-keyshortcuts="/"
      maxlength={100}
    />
    <input type="hidden" name="filter" value={q.filter} />
    <label for="sort">Sort by</label>
    <select id="sort" name="sort">
      {SORTS.map((s) => <option value={s} selected={s === q.sort}>{s}</option>)}
    </select>
    <button type="submit" class="secondary nojs">Search</button>
  </form>
);

export const LibraryView: FC<{
  games: GameRow[];
  downloads: DownloadView[];
  q: LibraryQuery;
  can: Abilities;
}> = ({ games, downloads, q, can }) => {
  const counts = Object.fromEntries(
    FILTERS.map((f) => [f, games.filter((g) => matchesFilter(g, f)).length]),
  ) as Record<Filter, number>;
  const shown = sortGames(
    games.filter((g) => matchesFilter(g, q.filter) && matchesSearch(g, q.q)),
    q.sort,
  );
  const page = shown.slice(0, q.page * PAGE_SIZE);
  const byGame = new Map(downloads.map((d) => [d.game, d]));
  return (
    <>
      <h1 class="sr-only">Library</h1>
      <nav aria-label="Filter" class="filters">
        {FILTERS.map((f) => (
          <a
            href={libraryHref(q, { filter: f, page: 1 })}
            aria-current={f === q.filter ? "page" : undefined}
            data-nav=""
            data-key={`filter:${f}`}
          >
            {FILTER_LABELS[f]} <span class="count">{counts[f]}</span>
          </a>
        ))}
      </nav>
      <p class="summary">
        {games.length === 0
          ? "No games yet: put a game folder in the games folder, or wait for peers to appear."
          : `${page.length} of ${shown.length} games${q.q ? ` matching “${q.q}”` : ""}`}
      </p>
      <div class="grid">
        {page.map((g) => <Card g={g} d={byGame.get(g.id) ?? null} can={can} />)}
      </div>
      {shown.length > page.length && (
        <p class="more">
          <a href={libraryHref(q, { page: q.page + 1 })} data-nav="" data-key="more">
            Show more
          </a>
        </p>
      )}
    </>
  );
};
