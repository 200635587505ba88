/**
 * The plain-HTTP baseline: serves one file with Deno.serve, nothing else.
 * Prints its port, then serves until killed.
 *
 * @module
 */
const path = Deno.args[0]!;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
  const file = await Deno.open(path);
  return new Response(file.readable);
});
console.log(server.addr.port);
