/**
 * config.xml for one Syncthing 1.19 instance of the bench (see syncthing.ts):
 * two devices that know each other's address, one folder, and everything
 * that would talk beyond the test LAN switched off: local and global
 * discovery, relays, NAT traversal (UPnP/NAT-PMP), STUN, usage and crash
 * reporting, upgrades. The GUI/REST API listens on 127.0.0.1 inside the
 * instance's namespace; data goes over TCP only (no QUIC listener).
 *
 * @module
 */

/** One device of the pair. */
export interface SyncthingDevice {
  id: string;
  name: string;
  /** Its LAN address in the testbed. */
  address: string;
}

/** What {@linkcode syncthingConfig} writes. */
export interface SyncthingConfigOptions {
  self: SyncthingDevice;
  other: SyncthingDevice;
  apiKey: string;
  folder: { id: string; path: string; type: "sendonly" | "receiveonly"; paused: boolean };
  /** Port of the GUI/REST API on 127.0.0.1. @default {8384} */
  guiPort?: number;
  /** Port of the sync protocol on the device's address. @default {22000} */
  port?: number;
}

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function deviceXml(d: SyncthingDevice, port: number): string {
  return `    <device id="${d.id}" name="${
    escape(d.name)
  }" compression="metadata" introducer="false">
        <address>tcp://${d.address}:${port}</address>
        <paused>false</paused>
        <autoAcceptFolders>false</autoAcceptFolders>
    </device>`;
}

/** The whole config.xml. */
export function syncthingConfig(o: SyncthingConfigOptions): string {
  const port = o.port ?? 22000;
  const f = o.folder;
  // Folder defaults are Syncthing's own, except what would add unrelated work
  // (the file-system watcher, periodic rescans).
  return `<configuration version="36">
    <folder id="${f.id}" label="${f.id}" path="${
    escape(f.path)
  }" type="${f.type}" rescanIntervalS="3600" fsWatcherEnabled="false" fsWatcherDelayS="10" ignorePerms="false" autoNormalize="true">
        <filesystemType>basic</filesystemType>
        <device id="${o.self.id}" introducedBy=""></device>
        <device id="${o.other.id}" introducedBy=""></device>
        <minDiskFree unit="%">1</minDiskFree>
        <paused>${f.paused}</paused>
        <markerName>.stfolder</markerName>
    </folder>
${deviceXml(o.self, port)}
${deviceXml(o.other, port)}
    <gui enabled="true" tls="false" debugging="false">
        <address>127.0.0.1:${o.guiPort ?? 8384}</address>
        <apikey>${o.apiKey}</apikey>
        <theme>default</theme>
    </gui>
    <options>
        <listenAddress>tcp://${o.self.address}:${port}</listenAddress>
        <globalAnnounceServer></globalAnnounceServer>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <stunKeepaliveStartS>0</stunKeepaliveStartS>
        <stunServer></stunServer>
        <announceLANAddresses>false</announceLANAddresses>
        <reconnectionIntervalS>5</reconnectionIntervalS>
        <startBrowser>false</startBrowser>
        <urAccepted>-1</urAccepted>
        <urSeen>3</urSeen>
        <urURL></urURL>
        <crashReportingEnabled>false</crashReportingEnabled>
        <crashReportingURL></crashReportingURL>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <releasesURL></releasesURL>
        <restartOnWakeup>false</restartOnWakeup>
        <setLowPriority>false</setLowPriority>
    </options>
</configuration>
`;
}
