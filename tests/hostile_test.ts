/**
 * A peer under attack over real QUIC on loopback: a client that is a party
 * member at the TLS level but breaks every rule of the protocol. The peer
 * answers with the documented errors (or closes the offending connection)
 * and keeps serving everyone else.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fileBytes, tempTree, writeGame } from "./fixtures.ts";
import { createLogger } from "../src/common/log.ts";
import { Runtime } from "../src/peer/runtime.ts";
import { loadIdentity } from "../src/trust/identity.ts";
import { Party, PARTY_SERVER_NAME } from "../src/trust/party.ts";
import type { Connection } from "../src/wire/transport.ts";
import { member as memberOf } from "./member.ts";
import { LIMITS, PROTOCOL_VERSION } from "../src/wire/protocol.ts";
import { Session } from "../src/wire/session.ts";
import { clientHello } from "../src/peer/sync/handshake.ts";
import { FrameReader } from "../src/wire/framing.ts";

const PARTY = "hostile test party";
const MiB = 1024 * 1024;

async function setup() {
  const t = await tempTree();
  const gamesDir = t.path("games");
  await writeGame(gamesDir, {
    id: "Quake",
    version: "1.0",
    files: { "pak0.pak": 3 * MiB + 17 },
  });
  // A game folder written to attack whoever logs or shows it.
  await writeGame(gamesDir, { id: "Evil", version: "1.0", files: { "a\x1b[2J.txt": 1 } });
  await Deno.writeTextFile(
    join(gamesDir, "Evil", "game.json"),
    JSON.stringify({ name: "Evil\nINFO forged\x1b]0;pwned\x07", genre: "\u202eSPF" }),
  );
  await Deno.mkdir(join(gamesDir, "Quake", "local"), { recursive: true });
  await Deno.writeTextFile(join(gamesDir, "Quake", "local", "save.dat"), "secret save");
  const logs: string[] = [];
  const runtime = await Runtime.start({
    gamesDir,
    stateDir: t.path("state"),
    name: "target",
    host: "127.0.0.1",
    port: 0,
    partyKey: PARTY,
    connect: [],
    log: createLogger({ level: "debug", sink: (line) => logs.push(line) }),
  });
  await runtime.events.waitFor((e) => e.event === "library-hashed", {
    signal: AbortSignal.timeout(10_000),
  }).catch(() => {});
  const { party, identity, transport: client } = await memberOf(t.path("client-state"), PARTY);
  const dial = () =>
    client.connect({
      hostname: "127.0.0.1",
      port: runtime.port,
      serverName: PARTY_SERVER_NAME,
    });
  const local = {
    peerId: identity.peerId,
    name: "attacker",
    addr: `127.0.0.1:${client.addr.port}`,
    protocolVersion: PROTOCOL_VERSION,
    party,
    snapshot: () => ({ rev: 0, games: [] }),
  };
  /** A connection past hello, as a new peer each time. */
  let members = 0;
  const member = async () => {
    const session = new Session(await dial());
    const fresh = await loadIdentity(t.path(`member-${members++}`), party);
    const result = await clientHello(session, { ...local, peerId: fresh.peerId });
    assertEquals(result.kind, "ok", JSON.stringify(result));
    return session;
  };
  const cleanup = async () => {
    client.close();
    await runtime.stop();
    await t.cleanup();
  };
  return { runtime, client, dial, member, local, logs, cleanup, gamesDir };
}

/** Writes raw bytes on a new stream and returns the answer frame's header, or null when closed. */
async function raw(conn: Connection, bytes: Uint8Array): Promise<Record<string, unknown> | null> {
  try {
    const stream = await conn.openStream();
    const writer = stream.writable.getWriter();
    await writer.write(bytes);
    await writer.close();
    const frame = await new FrameReader(stream.readable).read();
    return frame?.header ?? null;
  } catch {
    return null;
  }
}

function frameBytes(header: unknown, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + json.length);
  new DataView(out.buffer).setUint32(0, declaredLength ?? json.length);
  out.set(json, 4);
  return out;
}

async function isClosed(conn: Connection, withinMs = 3_000): Promise<boolean> {
  const timeout = new Promise<false>((r) => setTimeout(() => r(false), withinMs));
  return await Promise.race([conn.closed.then(() => true), timeout]);
}

Deno.test("nothing is served before a valid hello, and a wrong party proof is refused", async () => {
  const s = await setup();
  try {
    const early = await s.dial();
    const answer = await raw(early, frameBytes({ type: "get-library" }));
    assertEquals(answer?.type, "error");
    assertEquals(answer?.code, "bad-request");
    assert(!("library" in (answer ?? {})));
    assert(await isClosed(early), "connection closed after a request before hello");

    const outsider = { ...s.local, party: await Party.derive("not the party") };
    const session = new Session(await s.dial());
    const result = await clientHello(session, outsider);
    assertEquals(result.kind, "refused");
    assertMatch((result as { reason: string }).reason, /unauthorized: party proof failed/);
    assert(await isClosed(session.conn));
    assertEquals(s.runtime.api.listPeers(), []);
    assert(
      s.logs.some((l) => /refused connection .*party proof failed/.test(l)),
      s.logs.join("\n"),
    );
  } finally {
    await s.cleanup();
  }
});

Deno.test("bad requests get documented errors and the connection lives on", async () => {
  const s = await setup();
  try {
    const session = await s.member();
    const ask = async (request: Record<string, unknown>) =>
      (await session.exchange(request)).header;
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "launch-missiles" }, "bad-request"],
      [{
        type: "get-block",
        game: "Quake",
        runs: [{ path: "../../etc/passwd", index: 0, count: 1 }],
      }, "bad-request"],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "/etc/passwd", index: 0, count: 1 }] },
        "bad-request",
      ],
      [{
        type: "get-block",
        game: "Quake",
        runs: [{ path: "C:/Windows/win.ini", index: 0, count: 1 }],
      }, "bad-request"],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "a\\..\\..\\x", index: 0, count: 1 }] },
        "bad-request",
      ],
      [
        {
          type: "get-block",
          game: "Quake",
          runs: [{ path: "local/save.dat", index: 0, count: 1 }],
        },
        "bad-request",
      ],
      [
        { type: "get-block", game: "../Quake", runs: [{ path: "pak0.pak", index: 0, count: 1 }] },
        "bad-request",
      ],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "pak0.pak", index: 99, count: 1 }] },
        "not-found",
      ],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "nope.pak", index: 0, count: 1 }] },
        "not-found",
      ],
      [
        { type: "get-block", game: "Missing", runs: [{ path: "pak0.pak", index: 0, count: 1 }] },
        "not-found",
      ],
      [{ type: "get-manifest", game: "Missing" }, "not-found"],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "pak0.pak", index: -1, count: 1 }] },
        "bad-request",
      ],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "pak0.pak", index: 0, count: 0 }] },
        "bad-request",
      ],
      [
        { type: "get-block", game: "Quake", runs: [{ path: "pak0.pak", index: 0, count: 17 }] },
        "bad-request",
      ],
    ];
    for (const [request, code] of cases) {
      const answer = await ask(request);
      assertEquals([answer.type, answer.code], ["error", code], JSON.stringify(request));
    }
    // Still a healthy connection that serves real data.
    assertEquals((await session.request({ type: "ping" })).message.type, "pong");
    const pak = fileBytes("pak0.pak", 3 * MiB + 17);
    const block = await session.request({
      type: "get-block",
      game: "Quake",
      runs: [{ path: "pak0.pak", index: 3, count: 1 }],
    });
    assertEquals(block.message.type, "block");
    assertEquals(block.payload, pak.subarray(3 * MiB));
    // A run past the end of the file is cut short and says so; several runs share one answer.
    const runs = await session.request({
      type: "get-block",
      game: "Quake",
      runs: [
        { path: "pak0.pak", index: 2, count: 16 },
        { path: "version.ini", index: 0, count: 1 },
      ],
    });
    assertEquals(
      runs.message.type === "block" && runs.message.runs,
      [
        { path: "pak0.pak", index: 2, count: 2, bytes: MiB + 17 },
        { path: "version.ini", index: 0, count: 1, bytes: 3 },
      ],
    );
    assertEquals(runs.payload?.subarray(0, MiB + 17), pak.subarray(2 * MiB));
    assertEquals(new TextDecoder().decode(runs.payload?.subarray(MiB + 17)), "1.0");
    // A bad path anywhere refuses the whole request.
    const mixed = await ask({
      type: "get-block",
      game: "Quake",
      runs: [{ path: "pak0.pak", index: 0, count: 1 }, { path: "../x", index: 0, count: 1 }],
    });
    assertEquals([mixed.type, mixed.code], ["error", "bad-request"]);
    const manifest = await session.request({ type: "get-manifest", game: "Quake" });
    assertEquals(manifest.message.type, "manifest");
  } finally {
    await s.cleanup();
  }
});

Deno.test("framing violations close only the offending connection", async () => {
  const s = await setup();
  try {
    const bystander = await s.member();
    const violations = [
      frameBytes({ type: "ping" }, LIMITS.maxHeaderBytes + 1), // oversized header
      frameBytes({ type: "ping", payload: LIMITS.maxPayloadBytes + 1 }), // oversized payload
      new TextEncoder().encode("\x00\x00\x00\x05{nope"), // not JSON
      frameBytes({ type: "ping" }).subarray(0, 7), // truncated
    ];
    for (const bytes of violations) {
      const attacker = await s.member();
      const answer = await raw(attacker.conn, bytes);
      assertEquals(answer, null, "no answer to a framing violation");
      assert(await isClosed(attacker.conn), "offending connection closed");
      assertEquals((await bystander.request({ type: "ping" })).message.type, "pong");
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("fuzz: random and truncated frames never disturb the peer", async () => {
  const s = await setup();
  try {
    const valid = frameBytes({
      type: "get-block",
      game: "Quake",
      runs: [{ path: "pak0.pak", index: 0, count: 1 }],
    });
    let session = await s.member();
    const deadline = Date.now() + 15_000;
    let closed = 0;
    for (let i = 0; i < 60 && Date.now() < deadline; i++) {
      const bytes = i % 2
        ? crypto.getRandomValues(new Uint8Array(1 + (i * 7) % 40))
        : valid.slice(0, (i * 13) % valid.length);
      if (i % 4 === 0 && bytes.length > 4) bytes[4 + (i % (bytes.length - 4))] = 0x00;
      const answer = await raw(session.conn, bytes);
      if (answer === null || await isClosed(session.conn, 50)) {
        closed++;
        session = await s.member();
      } else {
        assertEquals(answer.type, "error");
      }
    }
    assert(closed > 0, "some fuzz cases broke framing");
    const check = await s.member();
    assertEquals((await check.request({ type: "ping" })).message.type, "pong");
    assertEquals(s.runtime.status().services.transport?.state, "running");
  } finally {
    await s.cleanup();
  }
});

// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

Deno.test("a hostile peer name is refused at hello and never reaches the log raw", async () => {
  const s = await setup();
  try {
    const hostile = { ...s.local, name: "mallory\nINFO forged line\x1b[2J\x1b]0;pwned\x07" };
    const result = await clientHello(new Session(await s.dial()), hostile);
    assertEquals(result.kind, "refused");
    assertMatch((result as { reason: string }).reason, /bad-request: .*name: contains a control/);
    assertEquals(s.runtime.api.listPeers(), []);
    assert(s.logs.some((l) => /refused connection .*name: contains a control/.test(l)));
    const raw = s.logs.filter((l) => RAW_CONTROL.test(l));
    assertEquals(raw, [], "log lines with raw control characters");
  } finally {
    await s.cleanup();
  }
});

Deno.test("hostile game.json text and file names are dropped or escaped, never written raw", async () => {
  const s = await setup();
  try {
    const evil = s.runtime.api.listGames().find((g) => g.id === "Evil");
    assertEquals(evil?.name, "Evil", "the hostile name falls back to the game id");
    assertEquals(evil?.genre, undefined);
    assert(s.logs.some((l) => l.includes("not shared: a\\x1b[2J.txt")), s.logs.join("\n"));
    assert(s.logs.some((l) => l.includes("Evil: game.json: field 'name' ignored")));
    const raw = s.logs.filter((l) => RAW_CONTROL.test(l));
    assertEquals(raw, [], "log lines with raw control characters");
  } finally {
    await s.cleanup();
  }
});
