// The per-webhook delivery controls through the real loop, to real receivers
// (db/delivery-controls.ts; docs/architecture.md, Delivery controls): a fifo webhook whose
// receiver fails at random still gets its events one at a time and in publish order, each
// retried until it succeeds before the next is sent; a rate-limited webhook's backlog arrives
// at no more than its limit in any second, every row of it, with no attempt spent on waiting.
import { afterAll, describe, expect, test } from "bun:test";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp } from "./helpers/delivery";

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of cleanups.reverse()) await stop();
});

function app(env: Record<string, string>): DeliveryTestApp {
  const created = createDeliveryTestApp({ DELIVERY_POLL_MS: "50", ...env });
  cleanups.push(() => created.shutdown());
  return created;
}

/** A small deterministic generator (mulberry32): the same failures every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("ordering: fifo", () => {
  test("1,000 events to a receiver failing 30% of the time arrive one at a time, in publish order, each retried until it succeeds before the next", async () => {
    // Short retries, and enough of them that none runs out.
    const t = app({ DELIVERY_RETRY_SCHEDULE: Array(25).fill("0.01").join(","), DELIVERY_CONCURRENCY: "16" });
    const random = seeded(22);
    const seen: { n: number; ok: boolean }[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const receiver = startReceiver(async (req) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await Bun.sleep(0);
      const ok = random() >= 0.3;
      seen.push({ n: (JSON.parse(req.body).data as { n: number }).n, ok });
      inFlight--;
      return new Response(null, { status: ok ? 204 : 500 });
    });
    cleanups.push(receiver.stop);
    await t.createWebhook(receiver.url, ["link.clicked"], { ordering: "fifo" });
    // Another webhook on the same events, unordered, shares the loop meanwhile.
    const other = startReceiver();
    cleanups.push(other.stop);
    await t.createWebhook(other.url, ["link.clicked"]);
    for (let n = 0; n < 1000; n++) expect((await t.publish("link.clicked", { n })).status).toBe(202);

    await waitFor(() => seen.filter((s) => s.ok).length >= 1000, 90_000, "1,000 successes");
    expect(mostInFlight).toBe(1);
    // Requests go n = 0, 0, 1, 2, 2, 2, 3…: each number's failures, then its one success, then the next.
    let expected = 0;
    for (const s of seen) {
      expect(s.n).toBe(expected);
      if (s.ok) expected++;
    }
    expect(expected).toBe(1000);
    expect(seen.filter((s) => !s.ok).length).toBeGreaterThan(200);
    await waitFor(() => other.received.length >= 1000, 10_000, "the unordered webhook's deliveries");
  }, 120_000);

  test("PATCH ordering: null lets the waiting rows go at once, unordered", async () => {
    const t = app({ DELIVERY_RETRY_SCHEDULE: "3600" });
    let failFirst = true;
    const receiver = startReceiver(() => {
      const status = failFirst ? 500 : 204;
      failFirst = false;
      return new Response(null, { status });
    });
    cleanups.push(receiver.stop);
    const { id } = await t.createWebhook(receiver.url, ["link.clicked"], { ordering: "fifo" });
    for (let n = 0; n < 5; n++) await t.publish("link.clicked", { n });
    // The head failed and retries in an hour: the other four wait behind it.
    await waitFor(() => receiver.received.length === 1, 5000, "the head's attempt");
    await Bun.sleep(300);
    expect(receiver.received.length).toBe(1);
    expect((await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { ordering: null })).status).toBe(200);
    t.loop.wake();
    await waitFor(() => receiver.received.length === 5, 5000, "the four waiting rows");
  });
});

describe("rate_limit", () => {
  test("500 due rows at 20 a second: all arrive, at most 20 in any second, none of the waiting counted as an attempt", async () => {
    const t = app({ DELIVERY_RETRY_SCHEDULE: "0.05" });
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { id } = await t.createWebhook(receiver.url, ["link.clicked"], { rate_limit: 20 });
    // All due at once: a few group commits.
    for (let from = 0; from < 500; from += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => t.publish("link.clicked", { n: from + i })));
    }
    await waitFor(() => receiver.received.length >= 500, 60_000, "500 deliveries");
    const times = receiver.received.map((r) => r.at).sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    // The limit is kept at claim time (rows admitted at least 50 ms apart); two of slack for a
    // window's edges and for a request that left a few milliseconds after its claim.
    expect(most).toBeLessThanOrEqual(22);
    expect(most).toBeGreaterThanOrEqual(18);
    const sql = t.deps.db.$client;
    const rowsOf = () => sql.prepare("SELECT status, attempts FROM deliveries WHERE webhook_id = ?").all(id) as { status: string; attempts: number }[];
    // The last outcomes are written a moment after their answers arrive.
    await waitFor(() => rowsOf().every((r) => r.status === "delivered"), 5000, "every row delivered");
    const rows = rowsOf();
    expect(rows).toHaveLength(500);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const attempts = sql.prepare("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ?").pluck().get(id);
    expect(attempts).toBe(500);
  }, 90_000);
});
