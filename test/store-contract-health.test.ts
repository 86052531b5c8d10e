// HealthStore (src/db/aggregates/health.ts) as a contract: the same cases against both stores of
// test/helpers/store-backends.ts, over delivery rows seeded directly (a leased row's
// next_attempt_at is its lease expiry, as the claim writes it).
import { expect, test } from "bun:test";
import type { DeliveryStatus } from "../src/db/aggregates/delivery-log";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_780_000_000_000;
const LIMITS = { top: 10, scanLimit: 1000 };

let seq = 0;
async function delivery(h: StoreHarness, status: DeliveryStatus, nextAttemptAt: number, webhookId: string | null = "whk_a"): Promise<void> {
  const n = String(++seq).padStart(4, "0");
  await h.insert("events", { id: `evt_${n}`, type: "link.clicked", body: "{}", createdAt: NOW - 100_000, publicId: `evt_${n}` });
  await h.insert("deliveries", {
    id: `dlv_${n}`, eventId: `evt_${n}`, transport: webhookId ? "http" : "discord", webhookId, trafficSourceWebhookId: webhookId ? null : "tsw_1",
    status, nextAttemptAt, leaseExpiresAt: status === "leased" ? nextAttemptAt : null, createdAt: NOW - 100_000, updatedAt: NOW - 100_000,
  });
}

async function seedTargets(h: StoreHarness): Promise<void> {
  for (const id of ["whk_a", "whk_b", "whk_c", "whk_d"]) {
    await h.insert("webhooks", { id, url: "https://example.com/in", events: "[]", secret: "s", createdAt: NOW, updatedAt: NOW });
  }
  await h.insert("users", { id: "usr_1", email: "a@example.com", passwordHash: "h", createdAt: NOW, updatedAt: NOW });
  await h.insert("trafficSources", { id: "src_1", name: "API", ownerId: "usr_1", createdAt: NOW, updatedAt: NOW });
  await h.insert("trafficSourceWebhooks", { id: "tsw_1", trafficSourceId: "src_1", type: "discord", level: "fatal", value: "1", createdAt: NOW, updatedAt: NOW });
}

describeStores("HealthStore", (h) => {
  test("ping answers while the database does", async () => {
    await h().store.health.ping();
  });

  test("an empty queue: zeros, no oldest due time, no backlog", async () => {
    expect(await h().store.health.queueGauges(NOW, LIMITS)).toEqual({ pending: 0, leased: 0, failed: 0, due: 0, oldestDueAt: null, backlog: [] });
  });

  test("counts by status, due pending rows, the longest wait (a pending row or a lease that ran out), the backlog per webhook", async () => {
    await seedTargets(h());
    await delivery(h(), "pending", NOW - 5_000, "whk_b");
    await delivery(h(), "pending", NOW - 4_000, "whk_a");
    await delivery(h(), "pending", NOW - 3_000, "whk_b");
    await delivery(h(), "pending", NOW - 2_000, "whk_c");
    await delivery(h(), "pending", NOW - 1_000, null);
    await delivery(h(), "pending", NOW, "whk_a");
    await delivery(h(), "pending", NOW + 1, "whk_d"); // not due yet
    await delivery(h(), "leased", NOW + 30_000); // a live lease
    await delivery(h(), "leased", NOW - 9_000); // ran out: due again, waiting longest
    await delivery(h(), "failed", NOW - 50_000);
    await delivery(h(), "failed", NOW + 50_000);
    await delivery(h(), "delivered", NOW - 60_000);
    expect(await h().store.health.queueGauges(NOW, LIMITS)).toEqual({
      pending: 7,
      leased: 2,
      failed: 2,
      due: 6,
      oldestDueAt: NOW - 9_000,
      // Most first, ties by webhook id; traffic-source alerts (no webhook) are not in it.
      backlog: [
        { webhookId: "whk_a", due: 2 },
        { webhookId: "whk_b", due: 2 },
        { webhookId: "whk_c", due: 1 },
      ],
    });
    // Only the `top` webhooks; only the `scanLimit` longest-waiting rows.
    expect((await h().store.health.queueGauges(NOW, { top: 1, scanLimit: 1000 })).backlog).toEqual([{ webhookId: "whk_a", due: 2 }]);
    expect((await h().store.health.queueGauges(NOW, { top: 10, scanLimit: 3 })).backlog).toEqual([
      { webhookId: "whk_b", due: 2 },
      { webhookId: "whk_a", due: 1 },
    ]);
    // Later, the not-yet-due row is due too; earlier, fewer are.
    expect(await h().store.health.queueGauges(NOW + 1, LIMITS)).toMatchObject({ due: 7, oldestDueAt: NOW - 9_000 });
    expect(await h().store.health.queueGauges(NOW - 4_500, LIMITS)).toMatchObject({ due: 1, oldestDueAt: NOW - 9_000, backlog: [{ webhookId: "whk_b", due: 1 }] });
  });

  test("the oldest due time is the first due pending row's when no lease has run out, and the other way round", async () => {
    await seedTargets(h());
    await delivery(h(), "pending", NOW - 2_000);
    await delivery(h(), "leased", NOW + 10_000);
    expect((await h().store.health.queueGauges(NOW, LIMITS)).oldestDueAt).toBe(NOW - 2_000);
    expect((await h().store.health.queueGauges(NOW - 3_000, LIMITS)).oldestDueAt).toBeNull();
    expect((await h().store.health.queueGauges(NOW + 20_000, LIMITS)).oldestDueAt).toBe(NOW - 2_000);
    await h().update("deliveries", `dlv_${String(seq - 1).padStart(4, "0")}`, { status: "delivered" });
    expect((await h().store.health.queueGauges(NOW + 20_000, LIMITS))).toMatchObject({ oldestDueAt: NOW + 10_000, pending: 0, due: 0, leased: 1 });
  });
});
