// The deliveries table as a queue: claim under a lease, expiry, release, graceful stop,
// retention. Real SQLite file, real loop, real receivers.
import { afterEach, describe, expect, test } from "bun:test";
import { createApiKey } from "../src/auth/api-keys";
import { enqueueEvent } from "./helpers/outbox";
import { newId } from "../src/ids";
import { createTestApp, type TestApp } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

async function appWithWebhook(): Promise<{ app: TestApp; webhookId: string }> {
  const app = createTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
  cleanup.push(() => app.close());
  const res = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/x", events: ["link.clicked"] });
  return { app, webhookId: res.body.data.id };
}

function enqueue(app: TestApp, webhookId: string, n: number, at: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = newId("evt");
    ids.push(...enqueueEvent(app.deps.db, { id, type: "link.clicked", body: "{}", createdAt: at + i }, [{ transport: "http", webhookId }]));
  }
  return ids;
}

/** A claim alone, as the loop's turn makes it when it has no outcomes to write. */
const claim = async (app: TestApp, now: number, limit: number, leaseMs: number) =>
  (await app.deps.store.queue.recordAndClaim([], { now, limit, leaseMs })).deliveries;

const statusOf = (app: TestApp, id: string) =>
  app.deps.db.$client.prepare("SELECT status, attempts, next_attempt_at AS next, lease_expires_at AS lease FROM deliveries WHERE id = ?").get(id) as {
    status: string; attempts: number; next: number; lease: number | null;
  };

describe("claim", () => {
  test("leases due rows oldest first, at most the limit, never twice while the lease lasts", async () => {
    const { app, webhookId } = await appWithWebhook();
    const now = 1_000_000;
    const ids = enqueue(app, webhookId, 5, now - 100);
    enqueue(app, webhookId, 1, now + 60_000); // not due yet
    const first = await claim(app, now, 3, 30_000);
    expect(first.map((c) => c.id)).toEqual(ids.slice(0, 3));
    expect(first[0]).toMatchObject({ transport: "http", webhookId, attempts: 0 });
    expect(typeof first[0]!.lease).toBe("string");
    expect(statusOf(app, ids[0]!)).toEqual({ status: "leased", attempts: 0, next: now + 30_000, lease: now + 30_000 });
    const second = await claim(app, now, 10, 30_000);
    expect(second.map((c) => c.id)).toEqual(ids.slice(3));
    expect(await claim(app, now + 1000, 10, 30_000)).toEqual([]);
  });

  test("an expired lease makes the row due again (a crashed worker loses nothing)", async () => {
    const { app, webhookId } = await appWithWebhook();
    const now = 2_000_000;
    const [id] = enqueue(app, webhookId, 1, now);
    expect(await claim(app, now, 10, 5000)).toHaveLength(1);
    expect(await claim(app, now + 4999, 10, 5000)).toHaveLength(0);
    const again = await claim(app, now + 5000, 10, 5000);
    expect(again.map((c) => c.id)).toEqual([id!]);
    expect(statusOf(app, id!).lease).toBe(now + 10_000);
  });

  test("released leases are due at once", async () => {
    const { app, webhookId } = await appWithWebhook();
    const now = 3_000_000;
    const ids = enqueue(app, webhookId, 2, now);
    expect(await claim(app, now + 5, 10, 60_000)).toHaveLength(2);
    expect(await app.deps.store.queue.release(ids.map((id) => ({ id, lease: "" })), now + 10)).toBe(2);
    expect(statusOf(app, ids[0]!)).toMatchObject({ status: "pending", next: now + 10, lease: null });
    expect(await claim(app, now + 10, 10, 60_000)).toHaveLength(2);
  });
});

describe("rows put back without an attempt (deferred)", () => {
  test("pending again, due when asked, attempts unchanged, nothing in the attempt log, says why; only while still leased", async () => {
    const { app, webhookId } = await appWithWebhook();
    const now = 4_000_000;
    const [id] = enqueue(app, webhookId, 1, now);
    const [claimed] = await claim(app, now, 10, 60_000);
    const deferred = {
      kind: "deferred" as const, deliveryId: id!, lease: claimed!.lease, webhookId, attemptedAt: now + 1,
      durationMs: 0, statusCode: null, responseBody: null, error: "Not attempted yet", nextAttemptAt: now + 90_000,
    };
    const lastError = () => app.deps.db.$client.prepare("SELECT last_error FROM deliveries WHERE id = ?").pluck().get(id!);
    await app.deps.store.queue.recordAndClaim([deferred], null);
    expect(statusOf(app, id!)).toEqual({ status: "pending", attempts: 0, next: now + 90_000, lease: null });
    expect(lastError()).toBe("Not attempted yet");
    const logged = app.deps.db.$client.prepare("SELECT count(*) FROM delivery_attempts WHERE delivery_id = ?").pluck().get(id!);
    expect(logged).toBe(0);
    expect(await claim(app, now + 89_999, 10, 60_000)).toHaveLength(0);
    expect((await claim(app, now + 90_000, 10, 60_000)).map((c) => c.id)).toEqual([id!]);
    // A retry put back keeps the error of the attempt it retries.
    app.deps.db.$client.prepare("UPDATE deliveries SET attempts = 1, last_error = 'HTTP 500' WHERE id = ?").run(id!);
    await app.deps.store.queue.recordAndClaim([{ ...deferred, nextAttemptAt: now + 200_000 }], null);
    expect(statusOf(app, id!)).toMatchObject({ status: "pending", attempts: 1, next: now + 200_000 });
    expect(lastError()).toBe("HTTP 500");
    await claim(app, now + 200_000, 10, 60_000);
    // A row no longer leased (delivered meanwhile by another claim) is left as it is.
    app.deps.db.$client.prepare("UPDATE deliveries SET status = 'delivered' WHERE id = ?").run(id!);
    await app.deps.store.queue.recordAndClaim([{ ...deferred, nextAttemptAt: now + 500_000 }], null);
    expect(statusOf(app, id!).status).toBe("delivered");
  });
});

describe("graceful stop", () => {
  test("stops claiming, lets in-flight requests finish within the drain, records them", async () => {
    const rx = startReceiver(async () => (await Bun.sleep(150), new Response("ok")));
    const app = createDeliveryTestApp({ DELIVERY_CONCURRENCY: "4" });
    cleanup.push(() => rx.stop(), () => app.close());
    const { id } = await app.createWebhook(rx.url);
    for (let i = 0; i < 10; i++) await app.publish("link.clicked", { i });
    await waitFor(() => app.loop.inFlight() === 4);
    await app.loop.stop(2000);
    expect(app.loop.isRunning()).toBe(false);
    const rows = app.deps.db.$client.prepare("SELECT status, count(*) AS n FROM deliveries WHERE webhook_id = ? GROUP BY status ORDER BY status").all(id);
    expect(rows).toEqual([{ status: "delivered", n: 4 }, { status: "pending", n: 6 }]);
    expect(rx.received).toHaveLength(4);
  });

  test("requests still running after the drain are abandoned and their leases released", async () => {
    let answered = 0;
    const rx = startReceiver(async () => (await Bun.sleep(3000), answered++, new Response("late")));
    const app = createDeliveryTestApp({ DELIVERY_CONCURRENCY: "2" });
    cleanup.push(() => rx.stop(), () => app.close());
    const { id } = await app.createWebhook(rx.url);
    for (let i = 0; i < 3; i++) await app.publish("link.clicked", { i });
    await waitFor(() => app.loop.inFlight() === 2);
    await app.loop.stop(100);
    expect(answered).toBe(0); // stop() did not wait for them
    const rows = app.deps.db.$client.prepare("SELECT status, lease_expires_at AS lease FROM deliveries WHERE webhook_id = ?").all(id);
    expect(rows).toEqual([{ status: "pending", lease: null }, { status: "pending", lease: null }, { status: "pending", lease: null }]);
    // The abandoned requests finish later; nothing is written for them.
    await Bun.sleep(1000);
    expect(app.deps.db.$client.prepare("SELECT count(*) AS n FROM delivery_attempts").get()).toEqual({ n: 0 });
  });
});

describe("retention", () => {
  test("purges delivered rows, old attempts and orphaned events older than RETENTION_DAYS", async () => {
    const { app, webhookId } = await appWithWebhook();
    const db = app.deps.db.$client;
    const day = 86_400_000;
    const now = Date.now();
    const [oldDelivered, oldFailed, recent] = enqueue(app, webhookId, 3, now - 40 * day);
    db.prepare("UPDATE deliveries SET status = 'delivered', delivered_at = ? WHERE id = ?").run(now - 40 * day, oldDelivered);
    db.prepare("UPDATE deliveries SET status = 'failed' WHERE id = ?").run(oldFailed);
    db.prepare("UPDATE deliveries SET status = 'delivered', delivered_at = ? WHERE id = ?").run(now - day, recent);
    const attempt = db.prepare("INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms) VALUES (?, ?, 1)");
    for (const [id, at] of [[oldDelivered, now - 40 * day], [oldFailed, now - 40 * day], [oldFailed, now - day], [recent, now - day]] as const) attempt.run(id, at);

    // Portal links: one expired two days ago goes, one expired an hour ago and a live one stay.
    for (const [name, expiresAt] of [["gone", now - 2 * day], ["recent", now - 3_600_000], ["live", now + day]] as const) {
      await createApiKey(app.deps.store.apiKeys, { name, tenantId: "default", kind: "portal", canPublish: false, expiresAt });
    }
    const counts = await app.deps.store.retention.purgeExpired(30, now);
    expect(counts).toEqual({ deliveries: 1, attempts: 1, events: 1, portalKeys: 1 });
    expect(db.prepare("SELECT name FROM api_keys WHERE kind = 'portal' ORDER BY name").pluck().all()).toEqual(["live", "recent"]);
    expect(db.prepare("SELECT id FROM deliveries ORDER BY created_at").all().map((r: any) => r.id)).toEqual([oldFailed, recent]);
    expect(db.prepare("SELECT delivery_id AS d FROM delivery_attempts ORDER BY id").all().map((r: any) => r.d)).toEqual([oldFailed, recent]);
    expect((db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n).toBe(2);
  });
});

describe("retention at scale", () => {
  test("a large purge gives the event loop a turn between batches", async () => {
    const { app, webhookId } = await appWithWebhook();
    const db = app.deps.db.$client;
    const old = Date.now() - 40 * 86_400_000;
    const ids = enqueue(app, webhookId, 5000, old);
    const mark = db.prepare("UPDATE deliveries SET status = 'delivered', delivered_at = ? WHERE id = ?");
    db.transaction(() => ids.forEach((id) => mark.run(old, id)))();
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const counts = await app.deps.store.retention.purgeExpired(30, Date.now());
    expect(counts.deliveries).toBe(5000);
    expect(otherWorkRan).toBe(true);
  }, 20_000);
});

describe("operations endpoints", () => {
  test("/ready reflects the loop; /metrics counts outcomes, queue depth and latency", async () => {
    const rx = startReceiver();
    const app = createDeliveryTestApp();
    cleanup.push(() => rx.stop(), () => app.close());
    const ready = await app.request("GET", "/ready", undefined, { auth: "none" });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", checks: { database: true, delivery_loop: true } });
    await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    await waitFor(() => app.loop.metrics.outcomes.delivered === 1);
    const metrics = await app.request("GET", "/metrics", undefined, { auth: "none" });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toStartWith("text/plain");
    expect(metrics.text).toContain('hookrelay_delivery_attempts_total{outcome="delivered",transport="http"} 1\n');
    expect(metrics.text).toContain("hookrelay_delivery_queue_depth 0\n");
    expect(metrics.text).toContain('hookrelay_delivery_attempt_duration_seconds_bucket{le="+Inf"} 1\n');
    expect(metrics.text).toContain("hookrelay_delivery_attempt_duration_seconds_count 1\n");
    await app.loop.stop();
    const stopped = await app.request("GET", "/ready", undefined, { auth: "none" });
    expect(stopped.status).toBe(503);
    expect(stopped.body.checks.delivery_loop).toBe(false);
  });

  test("/ready is 503 when no loop runs in the process", async () => {
    const app = createTestApp();
    cleanup.push(() => app.close());
    const res = await app.request("GET", "/ready", undefined, { auth: "none" });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: "not_ready", checks: { database: true, delivery_loop: false } });
  });
});
