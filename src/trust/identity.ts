/**
 * The peer's persistent identity (DESIGN §4): an ECDSA P-256 key kept in the
 * state dir, the peer id derived from it, and a certificate issued by the
 * current party's CA. The key, and so the peer id, survive restarts and
 * party changes; only the certificate is re-issued when the party changes.
 *
 * Files in `<state>/identity/`: `key.pem` (PKCS#8), `cert.pem`,
 * `cert.json` ({ party: CA fingerprint }), each written atomically.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../common/atomic.ts";
import { fromPem, toPem } from "./x509.ts";
import { Party } from "./party.ts";

/** Everything TLS and the handshake need to speak for this peer. */
export interface Identity {
  peerId: string;
  keyPem: string;
  certPem: string;
  party: Party;
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32 without padding, lower case (DNS labels are case-insensitive). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Peer id of a public key: base32 of the first 80 bits of SHA-256(SPKI). */
export async function peerIdOf(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return base32(digest.subarray(0, 10));
}

const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;

async function loadOrCreateKey(
  dir: string,
): Promise<{ pem: string; spki: Uint8Array<ArrayBuffer> }> {
  const path = join(dir, "key.pem");
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const pair = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    pem = toPem("PRIVATE KEY", pkcs8);
    await writeFileAtomic(path, pem);
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", fromPem("PRIVATE KEY", pem), ALG, true, ["sign"]);
  } catch (error) {
    throw new Error(`identity key ${path} is unreadable (${error}); move it away to start fresh`);
  }
  // The public half, via JWK: WebCrypto cannot export SPKI from a private key.
  const { d: _d, key_ops: _ops, ...pub } = await crypto.subtle.exportKey("jwk", key);
  const publicKey = await crypto.subtle.importKey("jwk", pub, ALG, true, ["verify"]);
  return { pem, spki: new Uint8Array(await crypto.subtle.exportKey("spki", publicKey)) };
}

/** Loads the identity from `stateDir`, creating or re-issuing what is missing. */
export async function loadIdentity(stateDir: string, party: Party): Promise<Identity> {
  const dir = join(stateDir, "identity");
  await Deno.mkdir(dir, { recursive: true });
  const key = await loadOrCreateKey(dir);
  const peerId = await peerIdOf(key.spki);
  const certPath = join(dir, "cert.pem");
  const metaPath = join(dir, "cert.json");
  const meta = await readJsonIfExists(metaPath).catch(() => undefined) as
    | { party?: string; peerId?: string }
    | undefined;
  let certPem: string | undefined;
  if (meta?.party === party.fingerprint && meta.peerId === peerId) {
    certPem = await Deno.readTextFile(certPath).catch(() => undefined);
  }
  if (!certPem) {
    certPem = await party.issuePeerCertificate(peerId, key.spki);
    await writeFileAtomic(certPath, certPem);
    await writeFileAtomic(metaPath, JSON.stringify({ party: party.fingerprint, peerId }));
  }
  return { peerId, keyPem: key.pem, certPem, party };
}
