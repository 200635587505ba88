/**
 * The peer's persistent identity (README "The party key"): an ECDSA P-256 key kept in the
 * state dir, the peer id derived from it, and a certificate issued by the
 * current party's CA. The key, and so the peer id, survive restarts and
 * party changes; only the certificate is re-issued, when the party changes
 * or the stored one is damaged (it is derived from the key and the party).
 * A damaged key is an error naming its file, never a new identity.
 *
 * Files in `<state>/identity/`: `key.pem` (PKCS#8), `cert.pem`,
 * `cert.json` ({ party: CA fingerprint }), each written atomically.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic } from "../common/atomic.ts";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { fromPem, toPem } from "./x509.ts";
import { type Party, peerServerName } from "./party.ts";
import { errorMessage, LanspreadError } from "../common/errors.ts";
import { type Logger, silentLogger } from "../common/log.ts";

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

/** The identity cannot be loaded: its key file is unreadable or damaged. */
export class IdentityError extends LanspreadError {
  override name = "IdentityError";
  constructor(message: string) {
    super("io-error", message);
  }
}

/** The first line of an error's message: a startup failure is one line. */
const firstLine = (error: unknown) => errorMessage(error).split("\n")[0]!.trim();

/**
 * Reads the key, or creates one when there is none. A key that exists but
 * cannot be read or used is an error naming the file, never silently a new
 * identity: the peer id would change and every peer would meet a stranger.
 */
async function loadOrCreateKey(
  dir: string,
): Promise<{ pem: string; spki: Uint8Array<ArrayBuffer> }> {
  const path = join(dir, "key.pem");
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new IdentityError(`cannot read the identity key ${path}: ${firstLine(error)}`);
    }
    const pair = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    pem = toPem("PRIVATE KEY", pkcs8);
    await writeFileAtomic(path, pem);
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", fromPem("PRIVATE KEY", pem), ALG, true, ["sign"]);
  } catch (error) {
    throw new IdentityError(
      `the identity key ${path} is damaged (${firstLine(error)}): restore it, or move it away ` +
        "to start with a new peer id",
    );
  }
  // The public half, via JWK: WebCrypto cannot export SPKI from a private key.
  const { d: _d, key_ops: _ops, ...pub } = await crypto.subtle.exportKey("jwk", key);
  const publicKey = await crypto.subtle.importKey("jwk", pub, ALG, true, ["verify"]);
  return { pem, spki: new Uint8Array(await crypto.subtle.exportKey("spki", publicKey)) };
}

/**
 * Why the stored certificate cannot serve `peerId` in `party` with the key
 * `keyPem`, or null when it can. The certificate is derived from the key and
 * the party, so any problem is fixed by issuing it again.
 */
function certificateProblem(certPem: string, keyPem: string, peerId: string, party: Party) {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    return `is damaged (${firstLine(error)})`;
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return "is for another key";
    if (!cert.verify(new X509Certificate(party.caCertPem).publicKey)) {
      return "is not issued by this party";
    }
  } catch (error) {
    return `cannot be checked (${firstLine(error)})`;
  }
  if (!cert.subjectAltName?.includes(peerServerName(peerId))) return "names another peer id";
  return null;
}

/** Options for {@linkcode loadIdentity}. */
export interface IdentityOptions {
  /** Where a re-issued certificate is reported. @default {silentLogger} */
  log?: Logger;
}

/**
 * Loads the identity from `stateDir`, creating what is missing and issuing
 * the certificate again when the party changed or the stored one is
 * damaged (with a warning naming the file). Rejects with
 * {@linkcode IdentityError} when the key itself is unusable.
 */
export async function loadIdentity(
  stateDir: string,
  party: Party,
  options: IdentityOptions = {},
): Promise<Identity> {
  const log = options.log ?? silentLogger;
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
    const problem = certPem === undefined
      ? "is missing or unreadable"
      : certificateProblem(certPem, key.pem, peerId, party);
    if (problem) {
      log.warn(`the identity certificate ${certPath} ${problem}; issuing it again`);
      certPem = undefined;
    }
  }
  if (!certPem) {
    certPem = await party.issuePeerCertificate(peerId, key.spki);
    await writeFileAtomic(certPath, certPem);
    await writeFileAtomic(metaPath, JSON.stringify({ party: party.fingerprint, peerId }));
  }
  return { peerId, keyPem: key.pem, certPem, party };
}
