/**
 * Byte encodings used across the peer: lower-case hex (digests, nonces) and
 * base64url without padding (RFC 4648 §5, JWK fields).
 *
 * @module
 */

/** Lower-case hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** base64url of `bytes`, without padding. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}
