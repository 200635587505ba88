import { assertEquals } from "../../tests/assert.ts";
import { interfaceFor, type InterfaceInfo, onSubnet, selectInterfaces } from "./interfaces.ts";

const info = (
  name: string,
  family: "IPv4" | "IPv6",
  address: string,
  netmask: string,
): InterfaceInfo => ({
  name,
  family,
  address,
  netmask,
  mac: "02:00:00:00:00:01",
});

const LIST = [
  info("lo", "IPv4", "127.0.0.1", "255.0.0.0"),
  info("eth0", "IPv4", "10.77.0.2", "255.255.255.0"),
  info("eth0", "IPv6", "fe80::1", "ffff:ffff:ffff:ffff::"),
  info("eth0", "IPv4", "10.77.0.2", "255.255.255.0"),
  info("wlan0", "IPv4", "192.168.1.5", "255.255.0.0"),
];

Deno.test("every non-loopback IPv4 interface is used once; a filter can narrow it", () => {
  assertEquals(selectInterfaces(LIST).map((i) => i.id), ["eth0/10.77.0.2", "wlan0/192.168.1.5"]);
  assertEquals(selectInterfaces(LIST, (i) => i.name === "wlan0").map((i) => i.id), [
    "wlan0/192.168.1.5",
  ]);
});

Deno.test("a packet belongs to the interface whose subnet holds its source", () => {
  const ifaces = selectInterfaces(LIST);
  assertEquals(interfaceFor("10.77.0.200", ifaces)?.name, "eth0");
  assertEquals(interfaceFor("192.168.200.1", ifaces)?.name, "wlan0");
  assertEquals(interfaceFor("10.77.0.2", ifaces)?.name, "eth0");
  assertEquals(interfaceFor("8.8.8.8", ifaces), null, "not on a local link");
  assertEquals(interfaceFor("not an address", ifaces), null);
  assertEquals(onSubnet("10.77.1.1", { address: "10.77.0.2", netmask: "255.255.255.0" }), false);
});
