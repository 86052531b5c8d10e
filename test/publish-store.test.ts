// The PublishStore on SQLite (db/sqlite/publish.ts): one transaction per event with its
// deliveries, subscribers of the event's own tenant only, replays per tenant that write nothing.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { PublishRequest } from "../src/db/aggregates/publish";
import { newSortableId } from "../src/ids";
import { createTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  for (const id of ["acme", "globex"]) expect((await t.request("PUT", `/api/v1/tenants/${id}`, { name: id })).status).toBe(201);
});
afterEach(() => t.close());

async function webhook(tenant: string, events = ["link.clicked"]): Promise<string> {
  const res = await t.request("POST", "/api/v1/links/webhooks", { url: "https://hooks.example.com/in", events, tenant_id: tenant });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

function request(tenantId: string, extra: Partial<PublishRequest["event"]> = {}, clientId: string | null = null): PublishRequest {
  const id = newSortableId("evt");
  return { event: { id, publicId: clientId ?? id, tenantId, type: "link.clicked", body: "{}", createdAt: Date.now(), ...extra }, clientId };
}

const count = (table: string) => t.deps.db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
const deliveryTargets = (eventId: string) =>
  t.deps.db.$client.prepare("SELECT webhook_id, tenant_id, status FROM deliveries WHERE event_id = ? ORDER BY webhook_id").all(eventId);

describe("PublishStore.publish", () => {
  test("writes the event and one pending delivery per active subscriber of its own tenant", async () => {
    const a = await webhook("acme");
    const b = await webhook("acme");
    await webhook("globex");
    await webhook("acme", ["uptime.down"]);
    const off = await webhook("acme");
    expect((await t.request("PATCH", `/api/v1/links/webhooks/${off}?tenant_id=acme`, { active: false })).status).toBe(200);
    const r = request("acme");
    expect(await t.deps.store.publish.publish(r)).toEqual({ replayed: false, deliveries: 2 });
    expect(deliveryTargets(r.event.id)).toEqual([a, b].sort().map((webhook_id) => ({ webhook_id, tenant_id: "acme", status: "pending" })));
  });

  test("a tenant deleted after the request was checked gains no event", async () => {
    expect((await t.request("DELETE", "/api/v1/tenants/globex")).status).toBe(200);
    const before = [count("events"), count("deliveries")];
    expect(await t.deps.store.publish.publish(request("globex"))).toEqual({ replayed: false, noSuchTenant: true });
    expect(await t.deps.store.publish.publish(request("never-created"))).toEqual({ replayed: false, noSuchTenant: true });
    expect([count("events"), count("deliveries")]).toEqual(before);
  });

  test("a replayed idempotency key answers with the original, per tenant, and writes nothing", async () => {
    await webhook("acme");
    const first = request("acme", { idempotencyKey: "k1", requestHash: "h1" });
    await t.deps.store.publish.publish(first);
    const before = [count("events"), count("deliveries")];
    const again = await t.deps.store.publish.publish(request("acme", { idempotencyKey: "k1", requestHash: "h2" }));
    expect(again).toEqual({ replayed: true, original: { publicId: first.event.publicId, type: "link.clicked", createdAt: first.event.createdAt, requestHash: "h1", deliveries: 1 } });
    expect([count("events"), count("deliveries")]).toEqual(before);
    // The same key in another tenant is a new event.
    expect((await t.deps.store.publish.publish(request("globex", { idempotencyKey: "k1" }))).replayed).toBe(false);
  });

  test("a publisher's own id is a replay key too, per tenant", async () => {
    const first = request("acme", {}, "order-1");
    expect((await t.deps.store.publish.publish(first)).replayed).toBe(false);
    const again = await t.deps.store.publish.publish(request("acme", {}, "order-1"));
    expect(again.replayed && again.original.publicId).toBe("order-1");
    expect((await t.deps.store.publish.publish(request("globex", {}, "order-1"))).replayed).toBe(false);
  });

  test("concurrent publishes with one key in one group commit store one event", async () => {
    const outcomes = await Promise.all([1, 2, 3].map(() => t.deps.store.publish.publish(request("acme", { idempotencyKey: "same" }))));
    expect(outcomes.map((o) => o.replayed)).toEqual([false, true, true]);
    expect(count("events")).toBe(1);
  });
});

describe("PublishStore.enqueue", () => {
  test("writes the event with exactly the given targets", async () => {
    const a = await webhook("default", ["uptime.down"]);
    const id = newSortableId("evt");
    const ids = await t.deps.store.publish.enqueue({ id, type: "webhook.test", body: "{}", createdAt: Date.now() }, [{ transport: "http", webhookId: a }]);
    expect(ids).toHaveLength(1);
    expect(deliveryTargets(id)).toEqual([{ webhook_id: a, tenant_id: "default", status: "pending" }]);
  });
});
