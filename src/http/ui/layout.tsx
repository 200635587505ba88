/**
 * The frame of every page: header with the sections, the banner of failed
 * services, the one polite status region for milestones, the alert region
 * for failed actions, and the confirmation dialog. The client module
 * replaces `#banner` and `#view` with fresh server-rendered fragments.
 *
 * @module
 */
import type { Child, FC } from "hono/jsx";

export const SECTIONS = [
  { path: "/", label: "Library" },
  { path: "/downloads", label: "Downloads" },
  { path: "/party", label: "Party" },
  { path: "/peers", label: "Peers" },
  { path: "/activity", label: "Activity" },
  { path: "/settings", label: "Settings" },
] as const;
export type Section = typeof SECTIONS[number]["path"];

/** A service that is down or restarting, shown until it runs again. */
export interface Problem {
  service: string;
  state: string;
  message: string;
}

export interface PageProps {
  /** Where the style sheet, client module and icon are served. */
  assets: { css: string; js: string; icon: string };
  title: string;
  section: Section | null;
  peerName: string;
  /** The event id the page reflects: the live stream resumes after it. */
  lastId: number;
  /** Event kinds that make the client refetch `#view` (see client module). */
  refreshOn: string;
  problems: Problem[];
  /** Active downloads, counted in the header. */
  downloads: number;
  /** Above `#view`, kept across refreshes (search form). */
  toolbar?: Child;
  children?: Child;
}

export const Banner: FC<{ problems: Problem[] }> = ({ problems }) => (
  <div id="banner">
    {problems.length > 0 && (
      <div class="banner" role="alert">
        {problems.map((p) => (
          <p>
            <strong>{p.service}</strong> {p.state === "failed" ? "has failed" : "is restarting"}:
            {" "}
            {p.message}
          </p>
        ))}
      </div>
    )}
  </div>
);

export const Page: FC<PageProps> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="dark light" />
      <title>{`${p.title} · lanspread`}</title>
      <link rel="icon" href={p.assets.icon} type="image/svg+xml" />
      <link rel="stylesheet" href={p.assets.css} />
      <script type="module" src={p.assets.js}></script>
    </head>
    <body data-last-id={String(p.lastId)} data-refresh-on={p.refreshOn}>
      <a class="skip" href="#view">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">lanspread</a>
        <span class="me" title="This peer">{p.peerName}</span>
        <nav aria-label="Sections" class="sections">
          {SECTIONS.map((s) => (
            <a href={s.path} aria-current={s.path === p.section ? "page" : undefined}>
              {s.label}
              {s.path === "/downloads" && p.downloads > 0 && (
                <span class="count">{` ${p.downloads}`}</span>
              )}
            </a>
          ))}
        </nav>
        <span id="conn" class="conn" data-state="connecting">live</span>
      </header>
      <Banner problems={p.problems} />
      <p id="announcer" class="news" role="status" aria-live="polite"></p>
      <div id="alerts" class="alerts" role="alert"></div>
      <div class="page">
        {p.toolbar}
        <main id="view" tabindex={-1}>{p.children}</main>
      </div>
      <dialog id="confirm" aria-labelledby="confirm-title">
        <form method="dialog">
          <h2 id="confirm-title">Are you sure?</h2>
          <p id="confirm-text"></p>
          <div class="buttons">
            <button value="cancel" type="submit" class="secondary">Keep</button>
            <button value="ok" type="submit" id="confirm-ok" class="danger">OK</button>
          </div>
        </form>
      </dialog>
    </body>
  </html>
);
