/**
 * The party: everything derived from the party key (passphrase), README "The party key".
 *
 * ```
 * master  = PBKDF2-SHA256(passphrase, "lanspread/party/v1", 100000 rounds, 32 bytes)
 * CA key  = P-256 scalar from HKDF-SHA256(master, info "ca-key"), reduced into [1, n-1]
 * mac key = HKDF-SHA256(master, info "hello-mac")
 * ```
 *
 * The CA key is the same on every peer with the same passphrase, so each peer
 * issues its own certificate and all of them chain to one trust anchor. The
 * hello proofs are HMAC-SHA256 under the mac key over both peer ids and the
 * client's nonce, which proves party membership inside the QUIC connection
 * (Deno's QUIC server cannot request client certificates).
 *
 * @module
 */
import { createECDH } from "node:crypto";
import { issueCertificate, toPem } from "./x509.ts";
import { base64url, hex } from "../common/encoding.ts";

/** The built-in key of an open LAN party (zero configuration). */
export const DEFAULT_PARTY_KEY = "lanspread open party";

/** SAN every member's certificate carries, used when the peer id is not yet known. */
export const PARTY_SERVER_NAME = "party.lanspread";

/** The TLS server name that pins one peer id. */
export function peerServerName(peerId: string): string {
  return `${peerId}.lanspread`;
}

// Order of the P-256 group (FIPS 186-4 D.1.2.3).
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const PBKDF2_ROUNDS = 100_000;

const encoder = new TextEncoder();

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The identifier of a public key: leading bytes of SHA-256 of its SPKI. */
export async function keyIdentifier(
  spki: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return (await sha256(spki)).subarray(0, 20);
}

async function hkdf(
  master: CryptoKey,
  info: string,
  bytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) },
    master,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/** Imports a P-256 private scalar as a WebCrypto signing key. */
async function importScalar(
  d: Uint8Array,
): Promise<{ key: CryptoKey; spki: Uint8Array<ArrayBuffer> }> {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = new Uint8Array(ecdh.getPublicKey());
  const jwk = {
    kty: "EC",
    crv: "P-256",
    d: base64url(d),
    x: base64url(point.subarray(1, 33)),
    y: base64url(point.subarray(33, 65)),
    ext: true,
  };
  const alg = { name: "ECDSA", namedCurve: "P-256" };
  const key = await crypto.subtle.importKey("jwk", jwk, alg, false, ["sign"]);
  const pub = await crypto.subtle.importKey("jwk", { ...jwk, d: undefined }, alg, true, [
    "verify",
  ]);
  return { key, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pub)) };
}

function scalarFrom(seed: Uint8Array): Uint8Array {
  const value = BigInt("0x" + hex(seed)) % (P256_N - 1n) + 1n;
  return Uint8Array.from(
    value.toString(16).padStart(64, "0").match(/../g)!,
    (h) => parseInt(h, 16),
  );
}

/** A party derived from a passphrase. */
export class Party {
  private constructor(
    /** PEM of the party CA certificate (the trust anchor for connects). */
    readonly caCertPem: string,
    /** Short fingerprint of the CA key, safe to show: it does not reveal the passphrase. */
    readonly fingerprint: string,
    readonly caKey: CryptoKey,
    readonly caKeyId: Uint8Array<ArrayBuffer>,
    readonly issuerName: string,
    readonly macKey: CryptoKey,
  ) {}

  /** Derives the party of `passphrase` (about 100 ms: PBKDF2 on purpose). */
  static async derive(passphrase: string): Promise<Party> {
    const pass = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "PBKDF2", false, [
      "deriveBits",
    ]);
    const masterBits = await crypto.subtle.deriveBits(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: encoder.encode("lanspread/party/v1"),
        iterations: PBKDF2_ROUNDS,
      },
      pass,
      256,
    );
    const master = await crypto.subtle.importKey("raw", masterBits, "HKDF", false, [
      "deriveBits",
    ]);
    const { key, spki } = await importScalar(scalarFrom(await hkdf(master, "ca-key", 48)));
    const caKeyId = await keyIdentifier(spki);
    const fingerprint = hex(caKeyId.subarray(0, 6));
    const issuerName = `lanspread party ${fingerprint}`;
    const caDer = await issueCertificate({
      serial: caKeyId.subarray(0, 16),
      subject: issuerName,
      issuer: issuerName,
      spki,
      subjectKeyId: caKeyId,
      authorityKeyId: caKeyId,
      isCa: true,
    }, key);
    const macKey = await crypto.subtle.importKey(
      "raw",
      await hkdf(master, "hello-mac", 32),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return new Party(toPem("CERTIFICATE", caDer), fingerprint, key, caKeyId, issuerName, macKey);
  }

  /** Issues a peer certificate for a public key (PEM). */
  async issuePeerCertificate(peerId: string, spki: Uint8Array<ArrayBuffer>): Promise<string> {
    const der = await issueCertificate({
      serial: crypto.getRandomValues(new Uint8Array(16)),
      subject: peerId,
      issuer: this.issuerName,
      spki,
      subjectKeyId: await keyIdentifier(spki),
      authorityKeyId: this.caKeyId,
      isCa: false,
      dnsNames: [peerServerName(peerId), PARTY_SERVER_NAME],
    }, this.caKey);
    return toPem("CERTIFICATE", der);
  }

  /** HMAC proof over `fields` (see {@linkcode helloFields}, {@linkcode ackFields}). */
  async prove(fields: string[]): Promise<string> {
    const sig = await crypto.subtle.sign("HMAC", this.macKey, encoder.encode(fields.join("\n")));
    return hex(new Uint8Array(sig));
  }

  /** Constant-time check of a proof made by {@linkcode prove}. */
  async verify(proof: string, fields: string[]): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(proof)) return false;
    const sig = Uint8Array.from(proof.match(/../g)!, (h) => parseInt(h, 16));
    return await crypto.subtle.verify("HMAC", this.macKey, sig, encoder.encode(fields.join("\n")));
  }
}

/** The fields proven by a hello proof, for {@linkcode Party.verify}. */
export function helloFields(
  f: { version: number; clientId: string; to: string | null; nonce: string },
) {
  return ["hello", String(f.version), f.clientId, f.to ?? "", f.nonce];
}

/** The fields proven by a hello-ack proof, for {@linkcode Party.verify}. */
export function ackFields(
  f: { version: number; serverId: string; clientId: string; nonce: string },
) {
  return ["hello-ack", String(f.version), f.serverId, f.clientId, f.nonce];
}
