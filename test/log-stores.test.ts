// The log stores on SQLite (db/sqlite/delivery-log.ts, event-log.ts) called directly: the owner
// scope is enforced inside the store, cursors are the store's own strings, and the outcomes of
// retry and recover are answers, not exceptions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newSortableId } from "../src/ids";
import { createTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let acmeHook: string;
let globexHook: string;
const acmeDeliveries: string[] = [];
let globexDelivery = "";

beforeAll(async () => {
  t = createTestApp();
  for (const id of ["acme", "globex"]) await t.request("PUT", `/api/v1/tenants/${id}`, {});
  const make = async (tenant: string) =>
    (await t.request("POST", "/api/v1/links/webhooks", { url: `https://${tenant}.example.com/in`, events: ["link.clicked"], tenant_id: tenant })).body.data.id as string;
  acmeHook = await make("acme");
  globexHook = await make("globex");
  for (let i = 0; i < 5; i++) {
    const id = newSortableId("evt");
    const event = { id, publicId: `acme-${i}`, tenantId: "acme", type: "link.clicked", body: `{"i":${i}}`, createdAt: Date.now() + i };
    expect(await t.deps.store.publish.publish({ event, clientId: `acme-${i}` })).toEqual({ replayed: false, deliveries: 1 });
  }
  const gid = newSortableId("evt");
  await t.deps.store.publish.publish({ event: { id: gid, publicId: gid, tenantId: "globex", type: "link.clicked", body: "{}", createdAt: Date.now() }, clientId: null });
  const sqlite = t.deps.db.$client;
  acmeDeliveries.push(...(sqlite.prepare("SELECT id FROM deliveries WHERE tenant_id = 'acme' ORDER BY created_at DESC, rowid DESC").pluck().all() as string[]));
  globexDelivery = sqlite.prepare("SELECT id FROM deliveries WHERE tenant_id = 'globex'").pluck().get() as string;
});
afterAll(() => t.close());

const log = () => t.deps.store.deliveryLog;

describe("DeliveryLogStore", () => {
  test("pages a webhook's deliveries with the store's cursors, newest first", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = (await log().listForWebhook(acmeHook, "acme", undefined, { limit: 2, cursor }))!;
      seen.push(...page.items.map((d) => d.id));
      if (!page.hasMore) break;
      cursor = page.nextCursor!;
    }
    expect(seen).toEqual(acmeDeliveries);
  });

  test("another tenant's webhook and delivery are absent for an owner, present for a platform caller", async () => {
    expect(await log().listForWebhook(globexHook, "acme", undefined, { limit: 10 })).toBeNull();
    expect((await log().listForWebhook(globexHook, null, undefined, { limit: 10 }))!.items).toHaveLength(1);
    expect(await log().get(globexDelivery, "acme")).toBeNull();
    expect((await log().get(globexDelivery, null))!.delivery.tenantId).toBe("globex");
    expect(await log().search("acme", "acme", { webhookId: globexHook }, { limit: 10, window: 100 })).toBeNull();
    expect(await log().retry(globexDelivery, "acme", Date.now())).toEqual({ kind: "missing" });
    expect(await log().recoverFailed(globexHook, "acme", 0, Date.now())).toEqual({ kind: "missing" });
  });

  test("a search of one tenant sees only its rows, and a window shorter than a page ends it with a cursor", async () => {
    const all = (await log().search("acme", null, {}, { limit: 100, window: 100 }))!;
    expect(all.items.map((d) => d.id)).toEqual(acmeDeliveries);
    // A filter that matches nothing within a window of two rows: an empty page that goes on.
    const first = (await log().search("acme", null, { eventType: "uptime.down" }, { limit: 10, window: 2 }))!;
    expect(first).toMatchObject({ items: [], hasMore: true });
    const next = (await log().search("acme", null, { eventType: "uptime.down" }, { limit: 10, window: 100, cursor: first.nextCursor! }))!;
    expect(next).toEqual({ items: [], nextCursor: null, hasMore: false });
    const byEvent = (await log().search("acme", null, { eventId: "acme-3" }, { limit: 10, window: 100 }))!;
    expect(byEvent.items.map((d) => d.eventId)).toEqual(["acme-3"]);
  });

  test("retry answers in flight and disabled instead of throwing, and makes a delivery due", async () => {
    const now = Date.now();
    const [claimed] = (await t.deps.store.queue.recordAndClaim([], { now, limit: 1, leaseMs: 60_000 })).deliveries;
    expect(await log().retry(claimed!.id, null, now)).toEqual({ kind: "in_flight" });
    expect(await log().retry(claimed!.id, null, now + 120_000)).toMatchObject({ kind: "retried", delivery: { status: "pending", nextAttemptAt: now + 120_000 } });
    expect((await t.request("PATCH", `/api/v1/links/webhooks/${acmeHook}`, { active: false })).status).toBe(200);
    expect(await log().retry(acmeDeliveries[0]!, "acme", now)).toEqual({ kind: "webhook_disabled" });
    expect(await log().recoverFailed(acmeHook, "acme", 0, now)).toEqual({ kind: "webhook_disabled" });
    expect((await t.request("PATCH", `/api/v1/links/webhooks/${acmeHook}`, { active: true })).status).toBe(200);
    expect(await log().recoverFailed(acmeHook, "acme", 0, now)).toEqual({ kind: "recovered", count: 0 });
  });
});

describe("EventLogStore", () => {
  test("lists one tenant's events newest first, and reads one by its public id with its deliveries", async () => {
    const page = await t.deps.store.eventLog.list("acme", {}, { limit: 3 });
    expect(page.items.map((e) => e.publicId)).toEqual(["acme-4", "acme-3", "acme-2"]);
    const rest = await t.deps.store.eventLog.list("acme", {}, { limit: 3, cursor: page.nextCursor! });
    expect(rest).toMatchObject({ nextCursor: null, hasMore: false });
    expect(rest.items.map((e) => e.publicId)).toEqual(["acme-1", "acme-0"]);
    const one = (await t.deps.store.eventLog.get("acme", "acme-2", 10))!;
    expect(one).toMatchObject({ event: { publicId: "acme-2", tenantId: "acme" }, body: '{"i":2}', deliveriesTotal: 1 });
    expect(one.deliveries[0]).toMatchObject({ webhookId: acmeHook, eventId: "acme-2" });
    expect(await t.deps.store.eventLog.get("globex", "acme-2", 10)).toBeNull();
  });
});
