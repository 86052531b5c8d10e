// Retention (src/db/store.ts) as a contract: the same cases against every store in
// test/helpers/store-backends.ts. What goes and what stays, batches, stopping early; on a store
// several nodes share, that one node purges at a time.
import { expect, test } from "bun:test";
import { PostgresStore } from "../src/db/postgres/store";
import { RETENTION_LOCK_KEY } from "../src/db/postgres/retention";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

async function seedWebhook(h: StoreHarness): Promise<string> {
  const id = `whk_${crypto.randomUUID().slice(0, 8)}`;
  await h.insert("webhooks", { id, url: "https://example.com/in", events: "[]", secret: "s", createdAt: NOW - 60 * DAY, updatedAt: NOW - 60 * DAY });
  return id;
}

/** `n` deliveries of one event each, created at `at`, in `status` (delivered at `at`). */
async function seedDeliveries(h: StoreHarness, webhookId: string, n: number, at: number, status: "delivered" | "failed" | "pending"): Promise<string[]> {
  const tag = crypto.randomUUID().slice(0, 8);
  const events = Array.from({ length: n }, (_, i) => ({ id: `evt_${tag}_${i}`, type: "t", body: "{}", createdAt: at, publicId: `evt_${tag}_${i}` }));
  const deliveries = events.map((e, i) => ({
    id: `dlv_${tag}_${i}`, eventId: e.id, transport: "http", webhookId, status, nextAttemptAt: at, createdAt: at, updatedAt: at,
    deliveredAt: status === "delivered" ? at : null,
  }));
  for (let i = 0; i < n; i += 500) {
    await h.insert("events", events.slice(i, i + 500));
    await h.insert("deliveries", deliveries.slice(i, i + 500));
  }
  return deliveries.map((d) => d.id);
}

describeStores("Retention", (h) => {
  test("purges delivered rows, old attempts, orphaned events and long-expired portal links older than RETENTION_DAYS", async () => {
    const webhookId = await seedWebhook(h());
    const [oldDelivered] = await seedDeliveries(h(), webhookId, 1, NOW - 40 * DAY, "delivered");
    const [oldFailed] = await seedDeliveries(h(), webhookId, 1, NOW - 40 * DAY, "failed");
    const [oldPending] = await seedDeliveries(h(), webhookId, 1, NOW - 40 * DAY, "pending");
    const [recent] = await seedDeliveries(h(), webhookId, 1, NOW - DAY, "delivered");
    const attempts: [string, number][] = [[oldDelivered!, NOW - 40 * DAY], [oldFailed!, NOW - 40 * DAY], [oldFailed!, NOW - DAY], [recent!, NOW - DAY]];
    await h().insert("deliveryAttempts", attempts.map(([deliveryId, attemptedAt]) => ({ deliveryId, attemptedAt, durationMs: 1 })));
    const portal = (name: string, expiresAt: number) => ({ id: `key_${name}`, name, keyHash: `hash_${name}`, createdAt: NOW - 10 * DAY, tenantId: "default", kind: "portal", canPublish: false, expiresAt });
    await h().insert("apiKeys", [portal("gone", NOW - 2 * DAY), portal("recent", NOW - 3_600_000), portal("live", NOW + DAY)]);
    await h().insert("apiKeys", { id: "key_api", name: "api", keyHash: "hash_api", createdAt: NOW - 10 * DAY, expiresAt: NOW - 5 * DAY });

    expect(await h().store.retention.purgeExpired(30, NOW)).toEqual({ deliveries: 1, attempts: 1, events: 1, portalKeys: 1 });
    expect((await h().rows("apiKeys")).map((k) => k.name).sort()).toEqual(["api", "live", "recent"]);
    expect((await h().rows("deliveries")).map((d) => d.id).sort()).toEqual([oldFailed, oldPending, recent].sort());
    expect((await h().rows("deliveryAttempts")).map((a) => a.deliveryId).sort()).toEqual([oldFailed, recent].sort());
    expect(await h().rows("events")).toHaveLength(3);
    // Nothing is left to purge.
    expect(await h().store.retention.purgeExpired(30, NOW)).toEqual({ deliveries: 0, attempts: 0, events: 0, portalKeys: 0 });
  });

  test("a purge larger than a batch takes several, with a turn of the event loop between them; keepGoing stops it", async () => {
    const webhookId = await seedWebhook(h());
    await seedDeliveries(h(), webhookId, 4500, NOW - 40 * DAY, "delivered");
    let asked = 0;
    const stopped = await h().store.retention.purgeExpired(30, NOW, () => ++asked <= 1);
    expect(stopped).toEqual({ deliveries: 2000, attempts: 0, events: 0, portalKeys: 0 });
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    expect(await h().store.retention.purgeExpired(30, NOW)).toEqual({ deliveries: 2500, attempts: 0, events: 4500, portalKeys: 0 });
    expect(otherWorkRan).toBe(true);
  }, 30_000);
});

describeStores("Retention across nodes", (h) => {
  test("one node purges at a time: another node's purge meanwhile does nothing", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false); // one node per SQLite file
    const webhookId = await seedWebhook(h());
    await seedDeliveries(h(), webhookId, 10, NOW - 40 * DAY, "delivered");
    const other = await h().otherNode();
    // A third node holds the purge lock (it is purging right now).
    const holder = (h().store as PostgresStore).client;
    const conn = await holder.reserve();
    try {
      await conn.unsafe(`SELECT pg_advisory_lock(${RETENTION_LOCK_KEY})`);
      expect(await other.retention.purgeExpired(30, NOW)).toEqual({ deliveries: 0, attempts: 0, events: 0, portalKeys: 0 });
      expect(await h().rows("deliveries")).toHaveLength(10);
      await conn.unsafe(`SELECT pg_advisory_unlock(${RETENTION_LOCK_KEY})`);
    } finally {
      conn.release();
    }
    expect((await other.retention.purgeExpired(30, NOW)).deliveries).toBe(10);
  });

  test("two nodes purging at once: all of it is purged, by one of them", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false);
    const webhookId = await seedWebhook(h());
    await seedDeliveries(h(), webhookId, 5000, NOW - 40 * DAY, "delivered");
    const other = await h().otherNode();
    const [a, b] = await Promise.all([h().store.retention.purgeExpired(30, NOW), other.retention.purgeExpired(30, NOW)]);
    expect(a!.deliveries + b!.deliveries).toBe(5000);
    expect(Math.min(a!.deliveries, b!.deliveries)).toBe(0);
    expect(await h().rows("deliveries")).toHaveLength(0);
  }, 30_000);
});
