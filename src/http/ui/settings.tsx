/**
 * The settings page: what a user may change (sent as one JSON PATCH by the
 * client module) and what they should know (party fingerprint, how the page
 * is reached).
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { Settings } from "../../peer/views.ts";

export const SettingsView: FC<{
  settings: Settings & { gamesDir: string };
  party: string;
  peerId: string;
  /** How the page is reached (deps.ts WebInfo), or null. */
  web: { host: string; port: number; exposed: boolean } | null;
}> = ({ settings: s, party, peerId, web }) => (
  <>
    <h1>Settings</h1>
    <form id="settings-form" class="settings" method="post" action="/api/v1/settings">
      <fieldset>
        <legend>You</legend>
        <label for="s-name">Peer name (shown to other peers)</label>
        <input id="s-name" name="name" value={s.name} required maxlength={64} />
        <label for="s-player">Player name (written into games at first play)</label>
        <input id="s-player" name="playerName" value={s.playerName} required maxlength={64} />
        <label for="s-language">Language (written into games at first play)</label>
        <input
          id="s-language"
          name="language"
          value={s.language}
          required
          maxlength={32}
          pattern="[A-Za-z_\-]+"
        />
      </fieldset>
      <fieldset>
        <legend>Games</legend>
        <label for="s-dir">Games folder</label>
        <input id="s-dir" name="gamesDir" value={s.gamesDir} required maxlength={4096} />
      </fieldset>
      <fieldset>
        <legend>Bandwidth</legend>
        <label for="s-up">Upload cap, MB/s (empty: none)</label>
        <input
          id="s-up"
          name="uploadLimit"
          type="number"
          min="0.1"
          step="0.1"
          value={s.uploadLimit ?? ""}
          data-type="rate"
        />
        <label for="s-down">Download cap, MB/s (empty: none)</label>
        <input
          id="s-down"
          name="downloadLimit"
          type="number"
          min="0.1"
          step="0.1"
          value={s.downloadLimit ?? ""}
          data-type="rate"
        />
        <label for="s-slots">Uploads at once per peer</label>
        <input
          id="s-slots"
          name="uploadsPerPeer"
          type="number"
          min="1"
          max="1000"
          step="1"
          value={s.uploadsPerPeer}
          data-type="int"
        />
      </fieldset>
      <button type="submit" class="primary">Save settings</button>
    </form>
    <section aria-labelledby="about-title">
      <h2 id="about-title">This peer</h2>
      <dl class="facts">
        <dt>Peer id</dt>
        <dd>
          <code>{peerId}</code>
        </dd>
        <dt>Party fingerprint</dt>
        <dd>
          <code>{party}</code> (equal on every member of the party)
        </dd>
        <dt>This page</dt>
        <dd>
          {web === null
            ? "not served"
            : web.exposed
            ? `exposed on the LAN at ${web.host}:${web.port}; a token is required`
            : `only on this computer (${web.host}:${web.port})`}
        </dd>
      </dl>
    </section>
  </>
);
