// TrafficSourceStore (src/db/aggregates/traffic-sources.ts) as a contract: the same cases against
// both stores of test/helpers/store-backends.ts. What test/traffic-source-store.test.ts pins on
// SQLite holds on PostgreSQL too: every operation checks the source's owner, one webhook per
// level (also when nodes race for it), alerts through the outbox.
import { expect, test } from "bun:test";
import type { AlertLevel, NewAlert, SourceScope, TrafficSourceRecord, TrafficSourceWebhookRecord } from "../src/db/aggregates/traffic-sources";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const T0 = 1_770_000_000_000;
const ALICE = "usr_alice";
const BOB = "usr_bob";

let seq = 0;
const source = (ownerId: string, name: string, createdAt: number): TrafficSourceRecord => ({ id: `src_${++seq}`, name, ownerId, createdAt, updatedAt: createdAt });
const hook = (level: AlertLevel, value = "123456789", now = T0) => ({ id: `tsw_${++seq}`, now, type: "discord" as const, level, value });
const alert = (level: AlertLevel, createdAt: number): NewAlert => ({
  id: `alr_${String(++seq).padStart(4, "0")}`, level, type: `alert.${level}`, createdAt, traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", body: (s) => JSON.stringify({ source: s.name, level }),
});
const ok = <T>(result: T | string): T => {
  if (typeof result === "string") throw new Error(result);
  return result;
};

/** Alice's "Checkout API" (the scope returned), her older "Older", Bob's "Bob's". */
async function seed(h: StoreHarness): Promise<SourceScope> {
  for (const id of [ALICE, BOB]) await h.insert("users", { id, email: `${id}@example.com`, passwordHash: "h", createdAt: T0, updatedAt: T0 });
  const mine = await h.store.trafficSources.create(source(ALICE, "Checkout API", T0 + 2_000));
  await h.store.trafficSources.create(source(ALICE, "Older", T0 + 1_000));
  await h.store.trafficSources.create(source(BOB, "Bob's", T0 + 1_500));
  return { sourceId: mine.id, userId: ALICE };
}

describeStores("TrafficSourceStore", (h) => {
  test("create answers the source; a user's sources oldest first, another user's never; get checks the owner", async () => {
    const mine = await seed(h());
    const created = source(ALICE, "Checkout API", T0);
    expect(await h().store.trafficSources.create(created)).toEqual(created);
    expect((await h().store.trafficSources.listOwned(ALICE)).map((s) => s.name)).toEqual(["Checkout API", "Older", "Checkout API"]);
    expect((await h().store.trafficSources.listOwned(BOB)).map((s) => s.name)).toEqual(["Bob's"]);
    expect(await h().store.trafficSources.listOwned("usr_none")).toEqual([]);
    expect(await h().store.trafficSources.get(mine)).toEqual({ id: mine.sourceId, name: "Checkout API", ownerId: ALICE, createdAt: T0 + 2_000, updatedAt: T0 + 2_000 });
    expect(await h().store.trafficSources.get({ ...mine, userId: BOB })).toBe("not-owner");
    expect(await h().store.trafficSources.get({ sourceId: "src_none", userId: ALICE })).toBe("no-source");
  });

  test("one webhook per level: a second for a level is level-taken, and so is moving onto a taken level", async () => {
    const mine = await seed(h());
    const store = h().store.trafficSources;
    const info = ok(await store.addWebhook(mine, hook("info")));
    const fatalHook = hook("fatal", "https://discord.com/api/webhooks/1/t");
    expect(await store.addWebhook(mine, fatalHook)).toEqual({
      id: fatalHook.id, type: "discord", level: "fatal", value: fatalHook.value, trafficSourceId: mine.sourceId, createdAt: T0, updatedAt: T0,
    });
    expect(await store.addWebhook(mine, hook("fatal"))).toBe("level-taken");
    expect(await store.updateWebhook(mine, info.id, { level: "fatal" }, T0 + 1)).toBe("level-taken");
    expect(await store.addWebhook(mine, hook("warning"))).toMatchObject({ level: "warning" });
    expect((ok(await store.listWebhooks(mine)) as TrafficSourceWebhookRecord[]).map((w) => w.level)).toEqual(["fatal", "warning", "info"]);
    expect((await h().rows("trafficSourceWebhooks")).find((r) => r.id === info.id)).toMatchObject({ level: "info", updatedAt: T0 });
  });

  test("nodes adding a webhook for the same level at once: one of them gets it", async () => {
    const mine = await seed(h());
    const nodes = h().sharedByNodes ? [h().store, await h().otherNode(), await h().otherNode()] : [h().store];
    const results = await Promise.all([...nodes, ...nodes].map((node) => node.trafficSources.addWebhook(mine, hook("fatal"))));
    expect(results.filter((r) => typeof r !== "string")).toHaveLength(1);
    expect(results.filter((r) => r === "level-taken")).toHaveLength(results.length - 1);
  });

  test("update changes only the fields given; delete removes the webhook with its deliveries; an id under another source is no-webhook", async () => {
    const mine = await seed(h());
    const store = h().store.trafficSources;
    const added = ok(await store.addWebhook(mine, hook("warning")));
    expect(await store.updateWebhook(mine, added.id, { value: "987654321" }, T0 + 3_000)).toEqual({ ...added, value: "987654321", updatedAt: T0 + 3_000 });
    expect(await store.updateWebhook(mine, added.id, { level: "info", value: "5" }, T0 + 3_001)).toMatchObject({ level: "info", value: "5", type: "discord" });
    expect(await store.webhookValue(added.id)).toBe("5");
    const older = { sourceId: (await store.listOwned(ALICE))[0]!.id, userId: ALICE };
    expect(await store.updateWebhook(older, added.id, { value: "1" }, T0 + 4_000)).toBe("no-webhook");
    expect(await store.deleteWebhook(older, added.id)).toBe("no-webhook");
    expect(await store.updateWebhook(mine, "tsw_none", { value: "1" }, T0 + 4_000)).toBe("no-webhook");
    await store.raiseAlert(mine, alert("info", T0 + 5_000));
    expect(await h().rows("deliveries")).toHaveLength(1);
    expect(await store.deleteWebhook(mine, added.id)).toBe(true);
    expect(await store.deleteWebhook(mine, added.id)).toBe("no-webhook");
    expect(await store.webhookValue(added.id)).toBeNull();
    expect(await h().rows("deliveries")).toEqual([]);
  });

  test("another user's source: every operation is not-owner and changes nothing; an unknown one no-source", async () => {
    const mine = await seed(h());
    const store = h().store.trafficSources;
    const existing = ok(await store.addWebhook(mine, hook("fatal")));
    const bobs = { ...mine, userId: BOB };
    const a = alert("fatal", T0 + 5_000);
    expect(await store.addWebhook(bobs, hook("warning"))).toBe("not-owner");
    expect(await store.listWebhooks(bobs)).toBe("not-owner");
    expect(await store.updateWebhook(bobs, existing.id, { value: "1" }, T0 + 5_000)).toBe("not-owner");
    expect(await store.deleteWebhook(bobs, existing.id)).toBe("not-owner");
    expect(await store.raiseAlert(bobs, a)).toBe("not-owner");
    expect(await store.listAlerts(bobs, { limit: 10 })).toBe("not-owner");
    expect(await store.getAlert(bobs, a.id)).toBe("not-owner");
    const nowhere = { sourceId: "src_none", userId: ALICE };
    for (const refused of [
      await store.addWebhook(nowhere, hook("warning")),
      await store.listWebhooks(nowhere),
      await store.updateWebhook(nowhere, existing.id, { value: "1" }, T0),
      await store.deleteWebhook(nowhere, existing.id),
      await store.raiseAlert(nowhere, a),
      await store.listAlerts(nowhere, { limit: 10 }),
      await store.getAlert(nowhere, a.id),
    ]) expect(refused).toBe("no-source");
    expect(await store.webhookValue(existing.id)).toBe("123456789");
    expect(await h().rows("events")).toEqual([]);
    expect(await h().rows("trafficSourceWebhooks")).toHaveLength(1);
  });

  test("alerts: raised with a delivery when the level has a webhook, without one otherwise; paged newest first; read with the delivery's attempts", async () => {
    const mine = await seed(h());
    const store = h().store.trafficSources;
    const fatalHook = ok(await store.addWebhook(mine, hook("fatal")));
    await store.addWebhook(mine, hook("info"));
    const [fatal, warning, info] = [alert("fatal", T0 + 10_000), alert("warning", T0 + 11_000), alert("info", T0 + 12_000)];
    expect(await store.raiseAlert(mine, fatal)).toEqual({ deliveries: 1, source: ok(await store.get(mine)) });
    expect(await store.raiseAlert(mine, warning)).toMatchObject({ deliveries: 0 });
    expect(await store.raiseAlert(mine, info)).toMatchObject({ deliveries: 1 });

    const [event] = (await h().rows("events")).filter((r) => r.id === fatal.id);
    expect(event).toMatchObject({ publicId: fatal.id, tenantId: "default", type: "alert.fatal", sourceId: mine.sourceId, createdAt: T0 + 10_000, traceParent: fatal.traceParent });
    const [delivery] = (await h().rows("deliveries")).filter((r) => r.eventId === fatal.id);
    expect(delivery).toMatchObject({ transport: "discord", trafficSourceWebhookId: fatalHook.id, webhookId: null, status: "pending", attempts: 0, nextAttemptAt: T0 + 10_000, tenantId: "default" });

    const page = async (limit: number, before?: number) => ok(await store.listAlerts(mine, { limit, before }));
    expect((await page(2)).map((a) => a.id)).toEqual([info.id, warning.id]);
    expect(await page(2, T0 + 11_000)).toEqual([{ id: fatal.id, trafficSourceId: mine.sourceId, type: "alert.fatal", body: '{"source":"Checkout API","level":"fatal"}', createdAt: T0 + 10_000, delivered: true }]);
    expect((await page(10)).map((a) => a.delivered)).toEqual([true, false, true]);

    await h().insert("deliveryAttempts", { deliveryId: delivery!.id, attemptedAt: T0 + 10_500, durationMs: 9, statusCode: 429, responseBody: '{"retry_after":1}', error: "HTTP 429" });
    await h().insert("deliveryAttempts", { deliveryId: delivery!.id, attemptedAt: T0 + 10_100, durationMs: 4, statusCode: null, responseBody: null, error: "timeout" });
    expect(await store.getAlert(mine, fatal.id)).toEqual({
      id: fatal.id, trafficSourceId: mine.sourceId, type: "alert.fatal", body: '{"source":"Checkout API","level":"fatal"}', createdAt: T0 + 10_000, delivered: true,
      delivery: {
        id: delivery!.id as string, status: "pending", attempts: 0, nextAttemptAt: T0 + 10_000, lastStatusCode: null, lastError: null, deliveredAt: null,
        attemptLog: [
          { attemptedAt: T0 + 10_100, durationMs: 4, statusCode: null, responseBody: null, error: "timeout" },
          { attemptedAt: T0 + 10_500, durationMs: 9, statusCode: 429, responseBody: '{"retry_after":1}', error: "HTTP 429" },
        ],
      },
    });
    expect(await store.getAlert(mine, warning.id)).toMatchObject({ id: warning.id, delivered: false, delivery: null });
    const older = { sourceId: (await store.listOwned(ALICE))[0]!.id, userId: ALICE };
    expect(await store.getAlert(older, fatal.id)).toBe("no-alert");
    expect(await store.getAlert(mine, "alr_none")).toBe("no-alert");
  });
});
