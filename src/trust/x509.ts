/**
 * Just enough DER (ITU-T X.690) and X.509 v3 (RFC 5280 §4.1) to issue the
 * certificates lanspread needs: a self-signed party CA and peer certificates
 * it signs, all ECDSA P-256 with SHA-256 (RFC 5758 §3.2).
 *
 * Validity dates are fixed (2020-01-01 to 9999-12-31, RFC 5280 §4.1.2.5)
 * because LAN party machines often have wrong clocks; trust comes from the
 * party CA, not from time.
 *
 * @module
 */

// --- DER -------------------------------------------------------------------
type Bytes = Uint8Array<ArrayBuffer>;

function length(n: number): Bytes {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function concat(parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A TLV with the given tag byte. */
export function tlv(tag: number, ...content: Uint8Array[]): Bytes {
  const body = concat(content);
  return concat([Uint8Array.of(tag), length(body.length), body]);
}

export const seq = (...items: Uint8Array[]) => tlv(0x30, ...items);
const set = (...items: Uint8Array[]) => tlv(0x31, ...items);
const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 | n, inner);
const octets = (b: Uint8Array) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const bitString = (b: Uint8Array, unused = 0) => tlv(0x03, Uint8Array.of(unused), b);

/** A non-negative INTEGER from big-endian magnitude bytes. */
export function integer(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  const needsPad = (trimmed[0] ?? 0) & 0x80;
  return tlv(0x02, needsPad ? Uint8Array.of(0, ...trimmed) : trimmed);
}

export function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      chunk.unshift(0x80 | (v & 0x7f));
    }
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, new TextEncoder().encode(iso.slice(2)))
    : tlv(0x18, new TextEncoder().encode(iso));
}

// --- X.509 -----------------------------------------------------------------
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const NOT_BEFORE = new Date(Date.UTC(2020, 0, 1));
const NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

function name(commonName: string): Uint8Array {
  return seq(set(seq(oid("2.5.4.3"), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** What a certificate says; the issuer's key signs it. */
export interface CertificateFields {
  serial: Uint8Array;
  subject: string;
  issuer: string;
  /** DER SubjectPublicKeyInfo of the subject key. */
  spki: Uint8Array;
  /** Key identifier of the subject (RFC 5280 §4.2.1.2). */
  subjectKeyId: Uint8Array;
  /** Key identifier of the issuer (RFC 5280 §4.2.1.1). */
  authorityKeyId: Uint8Array;
  isCa: boolean;
  /** DNS names for subjectAltName (end-entity certificates). */
  dnsNames?: string[];
}

function extensions(f: CertificateFields): Uint8Array {
  const list = [
    // basicConstraints: cA TRUE for the party CA, empty (cA FALSE) otherwise.
    extension("2.5.29.19", true, f.isCa ? seq(bool(true)) : seq()),
    // keyUsage: keyCertSign+cRLSign (bits 5,6) for the CA, digitalSignature (bit 0) otherwise.
    extension(
      "2.5.29.15",
      true,
      f.isCa ? bitString(Uint8Array.of(0x06), 1) : bitString(Uint8Array.of(0x80), 7),
    ),
    extension("2.5.29.14", false, octets(f.subjectKeyId)),
    extension("2.5.29.35", false, seq(tlv(0x80, f.authorityKeyId))),
  ];
  if (!f.isCa) {
    // extKeyUsage serverAuth + clientAuth.
    list.push(
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))),
    );
  }
  if (f.dnsNames?.length) {
    const encoder = new TextEncoder();
    const names = f.dnsNames.map((n) => tlv(0x82, encoder.encode(n)));
    list.push(extension("2.5.29.17", false, seq(...names)));
  }
  return explicit(3, seq(...list));
}

/** Converts a WebCrypto ECDSA signature (r||s) to DER (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

/** Issues a certificate signed by `issuerKey`; returns its DER bytes. */
export async function issueCertificate(
  fields: CertificateFields,
  issuerKey: CryptoKey,
): Promise<Bytes> {
  const tbs = seq(
    explicit(0, integer(Uint8Array.of(2))),
    integer(fields.serial),
    ECDSA_SHA256,
    name(fields.issuer),
    seq(time(NOT_BEFORE), time(NOT_AFTER)),
    name(fields.subject),
    fields.spki,
    extensions(fields),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, issuerKey, tbs),
  );
  return seq(tbs, ECDSA_SHA256, bitString(ecdsaRawToDer(raw)));
}

/** PEM armour (RFC 7468). */
export function toPem(label: string, der: Uint8Array): string {
  let b64 = "";
  const chunk = 0x8000;
  for (let i = 0; i < der.length; i += chunk) {
    b64 += String.fromCharCode(...der.subarray(i, i + chunk));
  }
  const lines = btoa(b64).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** DER bytes inside a PEM block with the given label; throws if absent. */
export function fromPem(label: string, pem: string): Bytes {
  const match = pem.match(
    new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`),
  );
  if (!match?.[1]) throw new Error(`no ${label} in PEM text`);
  return Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}
