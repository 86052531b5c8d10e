// PublishStore (src/db/aggregates/publish.ts) as a contract: the same cases against both stores
// of test/helpers/store-backends.ts.
import { expect, test } from "bun:test";
import type { NewEvent, PublishRequest, PublishStore } from "../src/db/aggregates/publish";
import { DELIVERY_CHANNEL } from "../src/db/postgres/publish";
import { PostgresStore } from "../src/db/postgres/store";
import type { Store } from "../src/db/store";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_760_000_000_000;
const publishOf = (h: StoreHarness) => (h.store as Store & { publish: PublishStore }).publish;

let seq = 0;
function request(values: Partial<NewEvent> = {}, clientId: string | null = null): PublishRequest {
  const id = `evt_${++seq}_${crypto.randomUUID().slice(0, 6)}`;
  return { event: { id, publicId: clientId ?? id, tenantId: "default", type: "order.created", body: `{"n":${seq}}`, createdAt: NOW + seq, requestHash: "h1", ...values } as PublishRequest["event"], clientId };
}

async function subscribe(h: StoreHarness, id: string, values: { tenantId?: string; active?: boolean; types?: string[]; filter?: unknown } = {}) {
  const tenantId = values.tenantId ?? "default";
  const filter = values.filter === undefined ? null : JSON.stringify(values.filter);
  await h.insert("webhooks", { id, url: "https://example.com/in", events: JSON.stringify(values.types ?? ["order.created"]), secret: "s", createdAt: NOW, updatedAt: NOW, tenantId, active: values.active ?? true, filter });
  // The subscriptions table as the webhook store keeps it (SQLite: a trigger; here, by hand).
  const subscriptions = (await h.rows("webhookEventTypes")).filter((r) => r.webhookId === id);
  if (subscriptions.length === 0) await h.insert("webhookEventTypes", (values.types ?? ["order.created"]).map((eventType) => ({ tenantId, eventType, webhookId: id })));
}

describeStores("PublishStore", (h) => {
  test("the event and one due delivery per active subscribed webhook of its tenant", async () => {
    await subscribe(h(), "whk_a");
    await subscribe(h(), "whk_b");
    await subscribe(h(), "whk_off", { active: false });
    await subscribe(h(), "whk_other_type", { types: ["order.shipped"] });
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    await subscribe(h(), "whk_other_tenant", { tenantId: "acme" });
    const req = request({ traceParent: "00-t-p-01" });
    expect(await publishOf(h()).publish(req)).toEqual({ replayed: false, deliveries: 2 });
    expect(await h().row("events", req.event.id)).toMatchObject({ tenantId: "default", body: req.event.body, requestHash: "h1", traceParent: "00-t-p-01", createdAt: req.event.createdAt });
    const rows = (await h().rows("deliveries")).filter((r) => r.eventId === req.event.id);
    expect(rows.map((r) => r.webhookId).sort()).toEqual(["whk_a", "whk_b"]);
    expect(rows[0]).toMatchObject({ status: "pending", attempts: 0, transport: "http", tenantId: "default", nextAttemptAt: req.event.createdAt });
    // No subscriber: the event is still stored.
    expect(await publishOf(h()).publish(request({ type: "nobody.listens" }))).toEqual({ replayed: false, deliveries: 0 });
  });

  test("a replayed Idempotency-Key or id answers with the original event and writes nothing", async () => {
    await subscribe(h(), "whk_a");
    const first = request({ idempotencyKey: "key-1" }, "client-1");
    await publishOf(h()).publish(first);
    const original = { publicId: "client-1", type: "order.created", createdAt: first.event.createdAt, requestHash: "h1", deliveries: 1 };
    expect(await publishOf(h()).publish(request({ idempotencyKey: "key-1", requestHash: "h2" }))).toEqual({ replayed: true, original });
    expect(await publishOf(h()).publish(request({}, "client-1"))).toEqual({ replayed: true, original });
    expect(await h().rows("events")).toHaveLength(1);
    expect(await h().rows("deliveries")).toHaveLength(1);
    // The same key in another tenant is another event.
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    expect(await publishOf(h()).publish(request({ idempotencyKey: "key-1", tenantId: "acme" }, "client-1"))).toEqual({ replayed: false, deliveries: 0 });
  });

  test("the same key published at once through several nodes: one event, the others replay it", async () => {
    await subscribe(h(), "whk_a");
    const nodes = h().sharedByNodes ? [h().store, await h().otherNode(), await h().otherNode()] : [h().store];
    const outcomes = await Promise.all(nodes.flatMap((node) => [0, 1].map(() => publishOf({ ...h(), store: node }).publish(request({ idempotencyKey: "race" })))));
    expect(outcomes.filter((o) => !o.replayed)).toEqual([{ replayed: false, deliveries: 1 }]);
    expect(await h().rows("events")).toHaveLength(1);
    expect(await h().rows("deliveries")).toHaveLength(1);
  });

  test("a commit with deliveries wakes listening nodes; one without deliveries does not", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false); // one SQLite node needs no wake-up across processes
    await subscribe(h(), "whk_a");
    const other = (await h().otherNode()) as PostgresStore;
    let heard = 0;
    const subscription = await other.client.listen(DELIVERY_CHANNEL, () => heard++);
    try {
      await publishOf(h()).publish(request({ type: "nobody.listens" }));
      await publishOf(h()).publish(request());
      const deadline = Date.now() + 5000;
      while (heard === 0 && Date.now() < deadline) await Bun.sleep(5);
      await Bun.sleep(100);
      expect(heard).toBe(1);
    } finally {
      await subscription.unlisten();
    }
  });

  test("filters: only the subscribers whose filter matches the data get a delivery, and only they are counted", async () => {
    await subscribe(h(), "whk_all");
    await subscribe(h(), "whk_big", { filter: { amount: { $gte: 100 } } });
    await subscribe(h(), "whk_big_too", { filter: { amount: { $gte: 100 } } });
    await subscribe(h(), "whk_eu", { filter: { $or: [{ "address.country": { $in: ["FR", "DE"] } }, { vip: true }] } });
    await subscribe(h(), "whk_no_coupon", { filter: { coupon: { $exists: false }, status: { $ne: "test" } } });
    await subscribe(h(), "whk_big_off", { filter: { amount: { $gte: 100 } }, active: false });
    const deliveredTo = async (data: Record<string, unknown>, withData = true) => {
      const req = request({ body: JSON.stringify({ id: "x", type: "order.created", created_at: "", data }) });
      const outcome = await publishOf(h()).publish(withData ? { ...req, data } : req);
      const ids = (await h().rows("deliveries")).filter((r) => r.eventId === req.event.id).map((r) => r.webhookId).sort();
      expect(outcome).toEqual({ replayed: false, deliveries: ids.length });
      expect(await h().row("events", req.event.id)).toBeDefined();
      return ids;
    };
    expect(await deliveredTo({ amount: 150, address: { country: "FR" } })).toEqual(["whk_all", "whk_big", "whk_big_too", "whk_eu", "whk_no_coupon"]);
    expect(await deliveredTo({ amount: 5, coupon: "SPRING" })).toEqual(["whk_all"]);
    expect(await deliveredTo({ amount: 99, vip: true, status: "test" })).toEqual(["whk_all", "whk_eu"]);
    // Without the data beside the request, the store reads it from the body.
    expect(await deliveredTo({ amount: 100, coupon: "X" }, false)).toEqual(["whk_all", "whk_big", "whk_big_too"]);
  });

  test("filters: none matching still stores the event, with no delivery", async () => {
    await subscribe(h(), "whk_only_big", { filter: { amount: { $gt: 1000 } } });
    const req = request();
    expect(await publishOf(h()).publish({ ...req, data: { amount: 3 } })).toEqual({ replayed: false, deliveries: 0 });
    expect(await h().row("events", req.event.id)).toBeDefined();
    expect(await h().rows("deliveries")).toHaveLength(0);
  });

  test("enqueue: the event and one delivery per given target, ids returned", async () => {
    await subscribe(h(), "whk_a");
    const ids = await publishOf(h()).enqueue({ id: "evt_enqueued", type: "webhook.test", body: "{}", createdAt: NOW }, [{ transport: "http", webhookId: "whk_a" }]);
    expect(ids).toHaveLength(1);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ eventId: "evt_enqueued", webhookId: "whk_a", status: "pending", tenantId: "default", nextAttemptAt: NOW });
    expect(await h().row("events", "evt_enqueued")).toMatchObject({ publicId: "evt_enqueued", tenantId: "default" });
    expect(await publishOf(h()).enqueue({ id: "evt_alone", type: "t", body: "{}", createdAt: NOW }, [])).toEqual([]);
    expect(await h().row("events", "evt_alone")).toBeDefined();
  });
});
