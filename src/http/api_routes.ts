/**
 * The JSON API under `/api/v1`: the same operations as the JSONL harness,
 * through the same {@linkcode PeerApi} object (README "HTTP API"). Inputs are
 * checked here (game ids, bodies); answers are the API's own shapes.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { isGameId } from "../peer/library/mod.ts";
import { SettingsPatch } from "../peer/settings.ts";
import type { PeerApi } from "../peer/api.ts";
import { jsonBody } from "./_body.ts";
import type { AppDeps } from "./deps.ts";
import { eventsHandler } from "./events.ts";
import { HttpError } from "./status.ts";
import { placeholderSvg } from "./ui/cover.ts";

const Empty = z.object({}).strict();
const DownloadBody = z.object({ install: z.boolean().default(false) }).strict();
const PlayBody = z.object({ server: z.boolean().default(false) }).strict();
const ConnectBody = z.object({ addr: z.string().min(1).max(300) }).strict();
/** `PATCH settings`: the harness's fields, plus the games folder (`set-game-dir`). */
export const SettingsBody = SettingsPatch.extend({
  gamesDir: z.string().trim().min(1).max(4096).optional(),
}).strict();

/** The `:id` parameter, refused unless it is a game id. */
function gameParam(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (!isGameId(id)) {
    throw new HttpError(400, "bad-request", `not a game id: ${String(id).slice(0, 80)}`);
  }
  return id;
}

function settingsOf(api: PeerApi) {
  return { ...api.settings(), gamesDir: api.status().gamesDir };
}

/** The `/api/v1` routes. */
export function apiRoutes(deps: AppDeps): Hono {
  const { api } = deps;
  const app = new Hono();
  app.get("/status", (c) => c.json(api.status()));
  app.get("/peers", (c) => c.json({ peers: api.listPeers() }));
  app.post("/peers", async (c) => {
    const { addr } = await jsonBody(c, ConnectBody);
    const peer = await api.connect(addr);
    return c.json({ peerId: peer.peerId, name: peer.name, addr: peer.addr, state: peer.state });
  });
  app.get("/games", (c) => c.json({ games: api.listGames() }));
  app.get("/games/:id", (c) => c.json(api.gameDetail(gameParam(c))));
  app.get("/games/:id/cover", async (c) => {
    const id = gameParam(c);
    const cover = await api.cover(id).catch(() => null);
    if (cover) {
      return c.body(cover.bytes as Uint8Array<ArrayBuffer>, 200, {
        "Content-Type": cover.type,
        "Cache-Control": "private, max-age=300",
      });
    }
    // A placeholder rather than a 404: a missing cover is normal, not an error to log.
    const name = api.listGames().find((g) => g.id === id)?.name ?? id;
    return c.body(placeholderSvg(name), 200, {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "private, max-age=60",
    });
  });
  app.get("/downloads", (c) => c.json({ downloads: api.downloads() }));
  app.post("/games/:id/download", async (c) => {
    const id = gameParam(c);
    const { install } = await jsonBody(c, DownloadBody);
    return c.json(await api.download(id, { install }), 202);
  });
  app.post("/games/:id/cancel", async (c) => {
    const id = gameParam(c);
    await jsonBody(c, Empty);
    await api.cancel(id);
    return c.json({ game: id });
  });
  for (const verb of ["install", "uninstall", "remove"] as const) {
    app.post(`/games/:id/${verb}`, async (c) => {
      const id = gameParam(c);
      await jsonBody(c, Empty);
      return c.json(await api[verb](id));
    });
  }
  app.post("/games/:id/play", async (c) => {
    const id = gameParam(c);
    const { server } = await jsonBody(c, PlayBody);
    return c.json(await api.play(id, { server }));
  });
  app.get("/settings", (c) => c.json(settingsOf(api)));
  app.patch("/settings", async (c) => {
    const { gamesDir, ...patch } = await jsonBody(c, SettingsBody);
    if (gamesDir !== undefined) await api.setGameDir(gamesDir);
    if (Object.keys(patch).length) await api.updateSettings(patch);
    return c.json(settingsOf(api));
  });
  app.get("/events", eventsHandler({ api, signal: deps.signal, heartbeatMs: deps.heartbeatMs }));
  return app;
}
