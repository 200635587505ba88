/**
 * `deno task bench`: every benchmark, each printed beside a baseline
 * measured in the same run (compare ratios, never absolute numbers).
 * The network-namespace ones need root, iproute2 and iperf3, and say so
 * when they are skipped.
 *
 * @module
 */
import { benchPeerCore } from "./peer_bench.ts";
import { benchDownloads } from "./download_bench.ts";
import { benchNetnsDownloads } from "./netns_download_bench.ts";
import { benchMdns } from "./mdns_bench.ts";
import { benchInstall } from "./install_bench.ts";
import { benchHttp } from "./http_bench.ts";

await benchPeerCore();
await benchDownloads();
await benchNetnsDownloads();
await benchMdns();
await benchInstall();
await benchHttp();
