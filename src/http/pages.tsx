/**
 * The HTML pages: each renders its view on the server from the API object.
 * A request with the header `Lanspread-Fragment: 1` (the client module's
 * refresh) gets only `#banner` and `#view`, without the frame.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { isGameId } from "../peer/library/mod.ts";
import type { PeerApi } from "../peer/api.ts";
import type { AppDeps } from "./deps.ts";
import { HttpError } from "./status.ts";
import type { Abilities } from "./ui/state.ts";
import { ASSET_PATHS } from "./assets.ts";
import { Banner, Page, type Problem, type Section } from "./ui/layout.tsx";
import { libraryQuery, LibraryToolbar, LibraryView } from "./ui/library.tsx";
import { GameView } from "./ui/game.tsx";
import { DownloadsView, PartyView, PeersView } from "./ui/boards.tsx";
import { ActivityView, type Kind, KINDS } from "./ui/activity.tsx";
import { SettingsView } from "./ui/settings.tsx";

/** What this peer can do: every peer installs (ARCHITECTURE.md "Install: transactions and recovery"), so a download may install right after. */
export function abilities(_api: PeerApi): Abilities {
  return { install: true };
}

/** Services that are down or restarting, from the runtime's status. */
export function problemsOf(status: Record<string, unknown>): Problem[] {
  const services = status.services;
  if (typeof services !== "object" || services === null) return [];
  return Object.entries(services as Record<string, { state?: unknown; lastError?: unknown }>)
    .filter(([, s]) => s?.state === "failed" || s?.state === "restarting")
    .map(([service, s]) => ({
      service,
      state: String(s.state),
      message: typeof s.lastError === "string" ? s.lastError : "no reason given",
    }));
}

interface View {
  title: string;
  section: Section | null;
  refreshOn: string;
  toolbar?: Child;
  body: Child;
}

/** Renders `view` as a whole page, or as the fragment the client asked for. */
export function render(c: Context, api: PeerApi, view: View): Response {
  const status = api.status();
  const problems = problemsOf(status);
  if (c.req.header("lanspread-fragment") === "1") {
    const html = (
      <>
        <Banner problems={problems} />
        <main id="view" tabindex={-1}>{view.body}</main>
      </>
    );
    return c.html(html.toString(), 200, { Vary: "Lanspread-Fragment" });
  }
  const page = (
    <Page
      assets={ASSET_PATHS}
      title={view.title}
      section={view.section}
      peerName={String(status.name ?? "lanspread")}
      lastId={api.events.lastId}
      refreshOn={view.refreshOn}
      problems={problems}
      downloads={api.downloads().length}
      toolbar={view.toolbar}
    >
      {view.body}
    </Page>
  );
  return c.html("<!doctype html>" + page.toString(), 200, { Vary: "Lanspread-Fragment" });
}

function names(api: PeerApi): (id: string) => string {
  const byId = new Map<string, string>();
  for (const g of api.listGames()) byId.set(g.id, g.name);
  for (const p of api.listPeers()) byId.set(p.peerId, p.name);
  return (id) => byId.get(id) ?? id;
}

/** The page routes. */
export function pageRoutes(deps: AppDeps): Hono {
  const { api } = deps;
  const app = new Hono();
  app.get("/", (c) => {
    const q = libraryQuery((name) => c.req.query(name));
    const can = abilities(api);
    return render(c, api, {
      title: "Library",
      section: "/",
      refreshOn: "downloads peers library problems",
      toolbar: <LibraryToolbar q={q} />,
      body: (
        <LibraryView
          games={api.listGames()}
          downloads={api.downloads()}
          q={q}
          can={can}
        />
      ),
    });
  });
  app.get("/games/:id", (c) => {
    const id = c.req.param("id");
    if (!isGameId(id)) {
      throw new HttpError(400, "bad-request", `not a game id: ${String(id).slice(0, 80)}`);
    }
    const game = api.gameDetail(id);
    const can = abilities(api);
    return render(c, api, {
      title: game.name,
      section: null,
      refreshOn: "downloads peers library progress problems",
      body: <GameView g={game} gamesDir={api.status().gamesDir} can={can} />,
    });
  });
  app.get("/downloads", (c) => {
    const games = new Map(api.listGames().map((g) => [g.id, g.name]));
    return render(c, api, {
      title: "Downloads",
      section: "/downloads",
      refreshOn: "downloads progress problems",
      body: <DownloadsView downloads={api.downloads()} names={games} />,
    });
  });
  app.get("/party", (c) => {
    const peers = api.listPeers().filter((p) => p.state === "connected").length;
    return render(c, api, {
      title: "Party",
      section: "/party",
      refreshOn: "downloads peers library progress problems",
      body: <PartyView games={api.listGames()} peers={peers} downloads={api.downloads()} />,
    });
  });
  app.get("/peers", (c) =>
    render(c, api, {
      title: "Peers",
      section: "/peers",
      refreshOn: "peers library problems",
      body: <PeersView peers={api.listPeers()} />,
    }));
  app.get("/activity", (c) => {
    const asked = c.req.query("kind") as Kind;
    const kind = KINDS.includes(asked) ? asked : "all";
    return render(c, api, {
      title: "Activity",
      section: "/activity",
      refreshOn: "downloads peers library problems",
      body: <ActivityView events={api.events.since(0)} kind={kind} name={names(api)} />,
    });
  });
  app.get("/settings", (c) => {
    const status = api.status();
    return render(c, api, {
      title: "Settings",
      section: "/settings",
      refreshOn: "",
      body: (
        <SettingsView
          settings={{ ...api.settings(), gamesDir: status.gamesDir }}
          party={String(status.party ?? "")}
          peerId={String(status.peerId ?? "")}
          web={deps.web ?? null}
        />
      ),
    });
  });
  return app;
}
