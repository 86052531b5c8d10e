// The baseline for HTTP benchmarks: a bare Bun.serve that does the least a JSON API can do —
// read the JSON body, answer JSON — with no framework, auth, validation or database.
// Run as its own process, like the server under test, so both are measured the same way.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(req) {
    const body = req.method === "POST" ? await req.json() : null;
    return Response.json({ success: true, data: body }, { status: 201 });
  },
});
console.log(`READY ${server.port}`);

export {};
