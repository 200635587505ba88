/**
 * A game's page: description, versions, actions (with a confirmation that
 * says what is deleted), the active download in detail, which peers have
 * it, and its files.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { DownloadView, GameDetail } from "../../peer/views.ts";
import { formatBytes, formatSpeed } from "./format.ts";
import { ActionButton, Cover, InstallProgress, Progress, Sparkline } from "./parts.tsx";
import { type Abilities, gameState, hasUpdate, primaryAction } from "./state.ts";

/** Files listed on the page; the rest are counted. */
const MAX_FILES = 200;

export const DownloadPanel: FC<{ d: DownloadView; name: string }> = ({ d, name }) => (
  <div class="download-panel">
    <Progress name={name} d={d} game={d.game} />
    {d.history.length > 1 && <Sparkline history={d.history} />}
    {d.sources.length > 0 && (
      <table class="sources">
        <caption>Sources</caption>
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col">Speed</th>
            <th scope="col">Share of bytes</th>
          </tr>
        </thead>
        <tbody>
          {d.sources.map((s) => (
            <tr>
              <td>{s.name}</td>
              <td>{formatSpeed(s.bytesPerSecond)}</td>
              <td>
                <meter min={0} max={1} value={s.share} aria-label={`${s.name} share`}></meter>
                {` ${Math.round(s.share * 100)}% (${formatBytes(s.bytes)})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {d.dropped.length > 0 && (
      <div class="dropped">
        <h3>Dropped for bad data</h3>
        <ul>
          {d.dropped.map((x) => <li>{`${x.peerId}: ${x.reason}`}</li>)}
        </ul>
      </div>
    )}
  </div>
);

function Actions({ g, gamesDir, can }: { g: GameDetail; gamesDir: string; can: Abilities }) {
  const primary = primaryAction(g, can);
  const idle = g.operation === null;
  const folder = `${gamesDir}/${g.id}`;
  return (
    <div class="actions">
      {primary && <ActionButton game={g} action={primary} keyName="primary" />}
      {idle && g.downloaded && !g.installed && primary?.verb !== "install" && (
        <ActionButton
          game={g}
          action={{ verb: "install", label: "Install", body: {} }}
          keyName="install"
          kind="secondary"
        />
      )}
      {idle && g.installed && g.hasServer && (
        <ActionButton
          game={g}
          action={{ verb: "play", label: "Start server", body: { server: true } }}
          keyName="server"
          kind="secondary"
        />
      )}
      {idle && g.installed && (
        <ActionButton
          game={g}
          action={{ verb: "uninstall", label: "Uninstall", body: {} }}
          keyName="uninstall"
          kind="danger"
          confirm={`Uninstall ${g.name}? This deletes the installed game in ${folder}/local, ` +
            `with any saves or settings kept inside it. The downloaded files stay.`}
        />
      )}
      {idle && g.downloaded && !g.installed && (
        <ActionButton
          game={g}
          action={{ verb: "remove", label: "Remove files", body: {} }}
          keyName="remove"
          kind="danger"
          confirm={`Remove the files of ${g.name}? This deletes ${g.files.length} downloaded ` +
            `files (${
              formatBytes(g.size)
            }) in ${folder}. Peers can no longer download it from you.`}
        />
      )}
    </div>
  );
}

export const GameView: FC<{ g: GameDetail; gamesDir: string; can: Abilities }> = (
  { g, gamesDir, can },
) => {
  const state = gameState(g);
  const total = g.files.reduce((n, f) => n + f.size, 0);
  return (
    <article class="detail" aria-labelledby="game-title" data-game={g.id}>
      <p class="back">
        <a href="/">← Library</a>
      </p>
      <div class="detail-head">
        <Cover g={g} big />
        <div class="detail-main">
          <h1 id="game-title">{g.name}</h1>
          <p class="state-line">
            <span class={`badge ${state.toLowerCase()}`} data-field="state">{state}</span>
            {hasUpdate(g) && <span class="update">{`update: v${g.latestVersion}`}</span>}
          </p>
          {g.description && <p class="description">{g.description}</p>}
          <dl class="facts">
            {g.genre && (
              <>
                <dt>Genre</dt>
                <dd>{g.genre}</dd>
              </>
            )}
            {g.players && (
              <>
                <dt>Players</dt>
                <dd>{g.players}</dd>
              </>
            )}
            <dt>Size</dt>
            <dd>{formatBytes(g.size)}</dd>
            <dt>Downloaded</dt>
            <dd>{g.version ? `v${g.version}` : "no"}</dd>
            <dt>Installed</dt>
            <dd>{g.installedVersion ? `v${g.installedVersion}` : g.installed ? "yes" : "no"}</dd>
            <dt>Newest among peers</dt>
            <dd>{g.latestVersion ? `v${g.latestVersion}` : "none"}</dd>
          </dl>
          <Actions g={g} gamesDir={gamesDir} can={can} />
        </div>
      </div>
      {g.operation === "download" && (
        <section aria-labelledby="download-title">
          <h2 id="download-title">Download</h2>
          {g.download
            ? <DownloadPanel d={g.download} name={g.name} />
            : <Progress name={g.name} d={null} game={g.id} />}
        </section>
      )}
      {(g.operation === "install" || g.operation === "update") && (
        <section aria-labelledby="install-title">
          <h2 id="install-title">{g.operation === "update" ? "Update" : "Install"}</h2>
          <InstallProgress g={g} />
        </section>
      )}
      <section aria-labelledby="offers-title">
        <h2 id="offers-title">Peers that have it</h2>
        {g.offers.length === 0 ? <p>No connected peer offers it.</p> : (
          <table>
            <thead>
              <tr>
                <th scope="col">Peer</th>
                <th scope="col">Version</th>
                <th scope="col">Installed</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {g.offers.map((o) => (
                <tr>
                  <td>{o.name}</td>
                  <td>{`v${o.version}`}</td>
                  <td>{o.installedVersion ? `v${o.installedVersion}` : "no"}</td>
                  <td>{formatBytes(o.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        {g.files.length === 0 ? <p>Not downloaded here.</p> : (
          <>
            <p>{`${g.files.length} files, ${formatBytes(total)}`}</p>
            <ul class="files">
              {g.files.slice(0, MAX_FILES).map((f) => (
                <li>
                  <code>{f.path}</code> <span class="size">{formatBytes(f.size)}</span>
                </li>
              ))}
            </ul>
            {g.files.length > MAX_FILES && <p>{`and ${g.files.length - MAX_FILES} more`}</p>}
          </>
        )}
      </section>
    </article>
  );
};
