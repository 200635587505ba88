/**
 * The organiser's pages: active downloads, the party board ("can we
 * start?"), and the peers with their connection figures.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { DownloadView, GameRow, PeerRow } from "../../peer/views.ts";
import { formatBytes, formatEta } from "./format.ts";
import { DownloadPanel } from "./game.tsx";
import { ActionButton } from "./parts.tsx";

export const DownloadsView: FC<{ downloads: DownloadView[]; names: Map<string, string> }> = (
  { downloads, names },
) => (
  <>
    <h1>Downloads</h1>
    {downloads.length === 0 && <p class="empty">Nothing is downloading.</p>}
    {downloads.map((d) => {
      const name = names.get(d.game) ?? d.game;
      return (
        <article class="download" aria-labelledby={`dl-${d.game}`} data-game={d.game}>
          <h2 id={`dl-${d.game}`}>
            <a href={`/games/${encodeURIComponent(d.game)}`}>{name}</a>{" "}
            <span class="version">{`v${d.version}`}</span>
          </h2>
          <DownloadPanel d={d} name={name} />
          <ActionButton
            game={{ id: d.game, name } as GameRow}
            action={{ verb: "cancel", label: "Cancel", body: {} }}
            keyName="primary"
            kind="secondary"
          />
        </article>
      );
    })}
  </>
);

/** Rows of the party board. */
const MAX_ROWS = 200;

export const PartyView: FC<{ games: GameRow[]; peers: number; downloads: DownloadView[] }> = (
  { games, peers, downloads },
) => {
  const members = peers + 1;
  const eta = new Map(downloads.map((d) => [d.game, d.etaSeconds]));
  const rows = games
    .map((g) => ({
      g,
      installed: g.installedCount + (g.installed ? 1 : 0),
      downloaded: g.peerCount + (g.downloaded ? 1 : 0),
    }))
    .filter((r) => r.installed > 0 || r.g.downloading)
    .sort((a, b) => b.installed - a.installed || b.downloaded - a.downloaded)
    .slice(0, MAX_ROWS);
  return (
    <>
      <h1>Party board</h1>
      <p class="summary">
        {`${members} ${members === 1 ? "member" : "members"} (you and ${peers} connected ${
          peers === 1 ? "peer" : "peers"
        }). Games someone has installed, most installed first.`}
      </p>
      {rows.length === 0
        ? <p class="empty">No one has a game installed yet.</p>
        : (
          <table class="party">
            <thead>
              <tr>
                <th scope="col">Game</th>
                <th scope="col">Installed</th>
                <th scope="col">Downloaded</th>
                <th scope="col">Downloading here</th>
                <th scope="col">Ready?</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ g, installed, downloaded }) => (
                <tr data-game={g.id}>
                  <th scope="row">
                    <a href={`/games/${encodeURIComponent(g.id)}`}>{g.name}</a>
                  </th>
                  <td>
                    <meter
                      min={0}
                      max={members}
                      value={installed}
                      aria-label={`${g.name} installed`}
                    >
                    </meter>
                    {` ${installed} of ${members}`}
                  </td>
                  <td>{`${downloaded} of ${members}`}</td>
                  <td>{g.downloading ? `yes, ${formatEta(eta.get(g.id) ?? null)} left` : "no"}</td>
                  <td>
                    {installed === members
                      ? <span class="badge installed">Everyone</span>
                      : `${members - installed} missing`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </>
  );
};

function stateText(p: PeerRow): string {
  if (p.state === "incompatible") {
    return `incompatible: speaks protocol v${p.protocolVersion}, this peer v${p.ourProtocolVersion}`;
  }
  return p.state;
}

export const PeersView: FC<{ peers: PeerRow[] }> = ({ peers }) => (
  <>
    <h1>Peers</h1>
    {peers.length === 0
      ? (
        <p class="empty">
          No peers yet. Peers on this LAN appear by themselves; elsewhere start lanspread with
          --connect HOST:PORT.
        </p>
      )
      : (
        <div class="table-wrap">
          <table class="peers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col">Games</th>
                <th scope="col">Sent</th>
                <th scope="col">Received</th>
                <th scope="col">Round trip</th>
              </tr>
            </thead>
            <tbody>
              {peers.map((p) => (
                <tr data-peer={p.peerId}>
                  <th scope="row">{p.name}</th>
                  <td>
                    <code>{p.peerId}</code>
                  </td>
                  <td>{p.addr}</td>
                  <td>
                    <span class={`badge peer-${p.state}`}>{stateText(p)}</span>
                  </td>
                  <td>{p.games.length}</td>
                  <td>{formatBytes(p.bytesSent)}</td>
                  <td>{formatBytes(p.bytesReceived)}</td>
                  <td>{p.rttMs === null ? "–" : `${p.rttMs.toFixed(1)} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
  </>
);
