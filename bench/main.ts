/**
 * `deno task bench`: every benchmark, each printed beside a baseline
 * measured in the same run (compare ratios, never absolute numbers).
 * The network-namespace ones need root, iproute2, iperf3 and Debian's
 * `syncthing` (the namespace download bench compares with it), and say so
 * when they are skipped. The namespace download bench alone takes about 17
 * minutes; run one of its cells with
 * `deno run --unstable-net -A bench/netns_download_bench.ts --only=one-300MB`.
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
