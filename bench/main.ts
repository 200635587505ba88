/**
 * `deno task bench`: every benchmark, each printed beside a baseline
 * measured in the same run (compare ratios, never absolute numbers).
 *
 * @module
 */
import { benchPeerCore } from "./peer_bench.ts";
import { benchDownloads } from "./download_bench.ts";

await benchPeerCore();
await benchDownloads();
