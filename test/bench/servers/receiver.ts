// The webhook receiver for delivery benchmarks: answers every POST with 200 at once and
// counts them. GET /stats → {count, firstMs, lastMs} (this process's clock), POST /reset
// zeroes it. Its own process, so hookrelay and the raw fetch baseline hit the same server.
let count = 0;
let firstMs = 0;
let lastMs = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/stats") return Response.json({ count, firstMs, lastMs });
    if (req.method === "POST" && path === "/reset") {
      count = firstMs = lastMs = 0;
      return Response.json({ ok: true });
    }
    await req.arrayBuffer();
    const now = performance.now();
    if (count === 0) firstMs = now;
    lastMs = now;
    count++;
    return new Response("ok");
  },
});
console.log(`READY ${server.port}`);

export {};
