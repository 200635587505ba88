import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "../../tests/assert.ts";
import { createLogger } from "../common/log.ts";
import { base32, IdentityError, loadIdentity } from "./identity.ts";
import { ackFields, helloFields, Party, PARTY_SERVER_NAME, peerServerName } from "./party.ts";
import { PeerId } from "../wire/protocol.ts";

Deno.test("base32 matches the RFC 4648 test vectors in lower case", () => {
  const enc = (s: string) => base32(new TextEncoder().encode(s));
  assertEquals(enc(""), "");
  assertEquals(enc("f"), "my");
  assertEquals(enc("fo"), "mzxq");
  assertEquals(enc("foo"), "mzxw6");
  assertEquals(enc("foob"), "mzxw6yq");
  assertEquals(enc("fooba"), "mzxw6ytb");
  assertEquals(enc("foobar"), "mzxw6ytboi");
});

Deno.test("the same passphrase derives the same party on every peer", async () => {
  const [a, b, c] = await Promise.all([
    Party.derive("lan 2026"),
    Party.derive("lan 2026"),
    Party.derive("lan 2027"),
  ]);
  assertEquals(a.fingerprint, b.fingerprint);
  assertNotEquals(a.fingerprint, c.fingerprint);
  const fields = helloFields({
    version: 1,
    clientId: "aaaaaaaaaaaaaaaa",
    to: null,
    nonce: "00".repeat(16),
  });
  const proof = await a.prove(fields);
  assert(await b.verify(proof, fields), "same party verifies");
  assert(!await c.verify(proof, fields), "other party rejects");
  assert(
    !await b.verify(
      proof,
      ackFields({ version: 1, serverId: "aaaaaaaaaaaaaaaa", clientId: "", nonce: "00".repeat(16) }),
    ),
  );
  assert(!await b.verify("zz", fields), "garbage proof rejected");
});

Deno.test("the peer id survives restarts and party changes; the certificate follows the party", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const party = await Party.derive("one");
    const first = await loadIdentity(dir, party);
    assert(PeerId.safeParse(first.peerId).success, first.peerId);
    const again = await loadIdentity(dir, party);
    assertEquals(again.peerId, first.peerId);
    assertEquals(again.certPem, first.certPem);
    const moved = await loadIdentity(dir, await Party.derive("two"));
    assertEquals(moved.peerId, first.peerId);
    assertNotEquals(moved.certPem, first.certPem);
    assertMatch(moved.certPem, /^-----BEGIN CERTIFICATE-----\n/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function tryConnect(
  port: number,
  serverName: string,
  caCert: string,
): Promise<string> {
  try {
    const conn = await Deno.connectQuic({
      hostname: "127.0.0.1",
      port,
      serverName,
      caCerts: [caCert],
      alpnProtocols: ["test"],
    });
    await conn.handshake;
    conn.close();
    await conn.closed.catch(() => {});
    return "ok";
  } catch (error) {
    return String(error);
  }
}

Deno.test("TLS accepts a party member by pinned id and refuses other parties and ids", async () => {
  const dir = await Deno.makeTempDir();
  const party = await Party.derive("tls test");
  const other = await Party.derive("another party");
  const id = await loadIdentity(dir, party);
  const endpoint = new Deno.QuicEndpoint({ hostname: "127.0.0.1", port: 0 });
  const listener = endpoint.listen({ key: id.keyPem, cert: id.certPem, alpnProtocols: ["test"] });
  const accepting = (async () => {
    for await (const incoming of listener) incoming.accept<false>().catch(() => {});
  })();
  try {
    const port = endpoint.addr.port;
    assertEquals(await tryConnect(port, peerServerName(id.peerId), party.caCertPem), "ok");
    assertEquals(await tryConnect(port, PARTY_SERVER_NAME, party.caCertPem), "ok");
    const wrongId = await tryConnect(port, peerServerName("a".repeat(16)), party.caCertPem);
    assertMatch(wrongId, /not valid for name/);
    const wrongParty = await tryConnect(port, peerServerName(id.peerId), other.caCertPem);
    assertMatch(wrongParty, /UnknownIssuer/);
  } finally {
    listener.stop();
    endpoint.close();
    await accepting.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged cert.pem beside a good key.pem is issued again, with a warning naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const party = await Party.derive("one");
    const first = await loadIdentity(dir, party);
    const certPath = join(dir, "identity", "cert.pem");
    const damaged = [
      first.certPem.slice(0, 200), // truncated
      first.certPem.replace(/[A-Za-z]{8}\n/, "AAAAAAAA\n"), // corrupted bytes
      (await loadIdentity(join(dir, "other"), party)).certPem, // another peer's certificate
    ];
    for (const pem of damaged) {
      await Deno.writeTextFile(certPath, pem);
      const logs: string[] = [];
      const log = createLogger({ level: "warn", sink: (l) => logs.push(l) });
      const again = await loadIdentity(dir, party, { log });
      assertEquals(again.peerId, first.peerId);
      assertEquals(logs.length, 1, logs.join("\n"));
      assertMatch(logs[0]!, /identity certificate .*cert\.pem .*; issuing it again/);
      assertEquals(await Deno.readTextFile(certPath), again.certPem);
      // The re-issued certificate is one TLS accepts.
      const endpoint = new Deno.QuicEndpoint({ hostname: "127.0.0.1", port: 0 });
      endpoint.listen({ key: again.keyPem, cert: again.certPem, alpnProtocols: ["test"] }).stop();
      endpoint.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged key.pem is a one-line error naming the file, never a new identity", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const party = await Party.derive("one");
    await loadIdentity(dir, party);
    const keyPath = join(dir, "identity", "key.pem");
    for (
      const text of ["", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"]
    ) {
      await Deno.writeTextFile(keyPath, text);
      const error = await assertRejects(() => loadIdentity(dir, party), IdentityError);
      assertMatch(error.message, /^the identity key .*key\.pem is damaged \(.*\): restore it/);
      assert(!error.message.includes("\n"), error.message);
      assertEquals(await Deno.readTextFile(keyPath), text, "the damaged key is left as it was");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
