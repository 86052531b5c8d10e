// The baseline for end-to-end delivery: a raw fetch loop, CONCURRENCY requests in flight,
// TOTAL POSTs of BODY to URL with webhook-like headers. No database, no signing, no retries:
// the most a Bun process can push through to the same receiver.
const url = process.env.URL!;
const total = Number(process.env.TOTAL);
const concurrency = Number(process.env.CONCURRENCY);
const body = process.env.BODY ?? "{}";
let next = 0;
let failed = 0;
const started = performance.now();
async function worker() {
  while (next < total) {
    const i = next++;
    const res = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": "bench/1", "webhook-id": `evt_${i}`, "webhook-timestamp": "0" },
    });
    await res.arrayBuffer();
    if (!res.ok) failed++;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(JSON.stringify({ total, failed, elapsedMs: performance.now() - started }));

export {};
