/**
 * What the browser's record cache says about lanspread peers: the complete
 * instances (PTR, SRV, TXT and at least one address) read as peers, and the
 * addresses of the host a cached record belongs to. Pure reads of the cache,
 * separate from the browser's querying, which decides what to ask and when.
 *
 * @module
 */
import { escapeControls } from "../common/log.ts";
import type { MdnsRecord } from "./packet.ts";
import type { RecordCache } from "./cache.ts";
import { labelOf, parsePeerTxt, SERVICE_TYPE } from "./records.ts";

/** A lanspread peer found on the network. */
export interface DiscoveredPeer {
  peerId: string;
  /** Its instance label (its name, possibly shortened or renamed "name (2)"). */
  name: string;
  protocolVersion: number;
  rev: number;
  /** IPv4 addresses of its host, sorted. */
  addrs: string[];
  /** Its QUIC port. */
  port: number;
}

/** Complete, valid lanspread instances, by peer id, excluding `ownPeerId`. */
export function cachedPeers(cache: RecordCache, ownPeerId: string): Map<string, DiscoveredPeer> {
  const out = new Map<string, { peer: DiscoveredPeer; at: number }>();
  for (const ptr of cache.lookup(SERVICE_TYPE, "PTR")) {
    const instance = ptr.record.data as string;
    const srv = cache.lookup(instance, "SRV")[0];
    const txt = cache.lookup(instance, "TXT")[0];
    if (srv?.record.type !== "SRV" || txt?.record.type !== "TXT") continue;
    const fields = parsePeerTxt(txt.record.data);
    if (!fields || fields.peerId === ownPeerId) continue;
    const addrs = [
      ...new Set(
        cache.lookup(srv.record.data.target, "A").map((e) => e.record.data as string),
      ),
    ]
      .sort();
    if (addrs.length === 0) continue;
    const at = Math.max(srv.receivedAt, txt.receivedAt);
    const known = out.get(fields.peerId);
    // One peer id under two instance names (a restart that got renamed):
    // the most recently heard one is current.
    if (known && known.at >= at) continue;
    out.set(fields.peerId, {
      at,
      peer: {
        peerId: fields.peerId,
        // Heard from anyone on the LAN: shown and logged, so never with controls in it.
        name: escapeControls(labelOf(instance)!),
        protocolVersion: fields.protocolVersion,
        rev: fields.rev,
        addrs,
        port: srv.record.data.port,
      },
    });
  }
  return new Map([...out].map(([id, { peer }]) => [id, peer]));
}

/** Addresses of the host a cached record belongs to (PTR -> SRV -> A). */
export function addressesOf(cache: RecordCache, record: MdnsRecord): Set<string> {
  let target: string | null = null;
  if (record.type === "A") return new Set([record.data]);
  if (record.type === "SRV") target = record.data.target;
  else {
    const instance = record.type === "PTR" ? record.data : record.name;
    const srv = cache.lookup(instance, "SRV")[0]?.record;
    if (srv?.type === "SRV") target = srv.data.target;
  }
  if (target === null) return new Set();
  return new Set(cache.lookup(target, "A").map((e) => e.record.data as string));
}
