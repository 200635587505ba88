/**
 * Choosing the interfaces mDNS runs on, and telling which one a packet came
 * from. Pure functions over `Deno.networkInterfaces()`-shaped data.
 *
 * - Every non-loopback IPv4 interface is used (RFC 6762 §14: a responder
 *   answers on each interface with that interface's addresses).
 * - A packet belongs to the interface whose subnet holds its source address;
 *   a source on no attached subnet is not on the local link and is dropped
 *   (RFC 6762 §11 source address check, §5.5 for unicast).
 *
 * @module
 */
import type { IfaceAddress } from "./types.ts";

/** The fields of `Deno.NetworkInterfaceInfo` used here. */
export type InterfaceInfo = Pick<
  Deno.NetworkInterfaceInfo,
  "name" | "family" | "address" | "netmask" | "mac"
>;

/** An interface mDNS runs on. */
export interface MdnsInterface extends IfaceAddress {
  name: string;
  netmask: string;
  /** Changes when the device is re-created (a veth or USB adapter coming back). */
  mac: string;
}

function toNumber(address: string): number | null {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return null;
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Non-loopback IPv4 interfaces that pass `filter`, one entry per name and address. */
export function selectInterfaces(
  list: InterfaceInfo[],
  filter: (info: InterfaceInfo) => boolean = () => true,
): MdnsInterface[] {
  const out = new Map<string, MdnsInterface>();
  for (const info of list) {
    if (
      info.family !== "IPv4" || info.address.startsWith("127.") || toNumber(info.address) === null
    ) continue;
    if (!filter(info)) continue;
    const id = `${info.name}/${info.address}`;
    out.set(id, {
      id,
      name: info.name,
      address: info.address,
      netmask: info.netmask,
      mac: info.mac,
    });
  }
  return [...out.values()];
}

/** Whether `address` is in the subnet of `iface`. */
export function onSubnet(
  address: string,
  iface: Pick<MdnsInterface, "address" | "netmask">,
): boolean {
  const a = toNumber(address);
  const b = toNumber(iface.address);
  const mask = toNumber(iface.netmask);
  if (a === null || b === null || mask === null) return false;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** The interface a packet from `source` arrived on, or null if it is not on any local link. */
export function interfaceFor<T extends Pick<MdnsInterface, "address" | "netmask">>(
  source: string,
  interfaces: T[],
): T | null {
  return interfaces.find((i) => i.address === source) ??
    interfaces.find((i) => onSubnet(source, i)) ?? null;
}
