// WebhookStore (src/db/aggregates/webhooks.ts) as a contract: the same cases against both stores
// of test/helpers/store-backends.ts.
import { expect, test } from "bun:test";
import type { NewWebhook, WebhookStore } from "../src/db/aggregates/webhooks";
import type { Store } from "../src/db/store";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_770_000_000_000;
const webhooksOf = (h: StoreHarness) => (h.store as Store & { webhooks: WebhookStore }).webhooks;

let seq = 0;
function newWebhook(values: Partial<NewWebhook> = {}): NewWebhook {
  const n = ++seq;
  return { id: `whk_${n}`, tenantId: "default", url: `https://example.com/${n}`, events: ["link.created"], metadataJson: '{"n":1.0}', secret: `whsec_${n}`, createdAt: NOW + n, ...values };
}

const subscriptions = async (h: StoreHarness, webhookId: string) =>
  (await h.rows("webhookEventTypes")).filter((r) => r.webhookId === webhookId).map((r) => `${r.tenantId}/${r.eventType}`).sort();

describeStores("WebhookStore", (h) => {
  test("create: in an existing tenant only, with its subscriptions; get is scoped by tenant", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook({ events: ["link.created", "link.clicked", "link.created"] });
    expect(await store.create(hook)).toBe(true);
    expect(await store.get(hook.id, null)).toEqual({
      id: hook.id, tenantId: "default", url: hook.url, events: ["link.created", "link.clicked", "link.created"], active: true, metadataJson: '{"n":1.0}',
      secret: hook.secret, previousSecret: null, previousSecretExpiresAt: null, disabledReason: null, filterJson: null, createdAt: hook.createdAt, updatedAt: hook.createdAt,
      retrySchedule: null, timeoutMs: null, headers: null, ordering: null, rateLimit: null,
    });
    expect(await subscriptions(h(), hook.id)).toEqual(["default/link.clicked", "default/link.created"]);
    expect(await store.get(hook.id, "default")).toBeDefined();
    expect(await store.get(hook.id, "acme")).toBeUndefined();
    expect(await store.create(newWebhook({ tenantId: "acme" }))).toBe(false);
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    const acme = newWebhook({ tenantId: "acme" });
    expect(await store.create(acme)).toBe(true);
    expect(await subscriptions(h(), acme.id)).toEqual(["acme/link.created"]);
  });

  test("update changes the fields given, rewrites subscriptions only with new events, enables and disables", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook({ events: ["a", "b"] });
    await store.create(hook);
    expect(await store.update(hook.id, "acme", { url: "https://x.example" }, NOW + 100)).toBeUndefined();
    expect(await store.update(hook.id, null, { url: "https://x.example" }, NOW + 100)).toMatchObject({ url: "https://x.example", events: ["a", "b"], updatedAt: NOW + 100 });
    expect(await subscriptions(h(), hook.id)).toEqual(["default/a", "default/b"]);
    expect(await store.update(hook.id, "default", { events: ["b", "c"], metadataJson: "{}" }, NOW + 200)).toMatchObject({ events: ["b", "c"], metadataJson: "{}", url: "https://x.example" });
    expect(await subscriptions(h(), hook.id)).toEqual(["default/b", "default/c"]);
    expect(await store.update(hook.id, null, { active: false, disabledReason: "paused" }, NOW + 300)).toMatchObject({ active: false, disabledReason: "paused" });
    expect(await store.update(hook.id, null, { active: true }, NOW + 400)).toMatchObject({ active: true, disabledReason: null });
    expect((await h().row("webhooks", hook.id))!.lastSuccessAt).toBe(NOW + 400);
    expect(await store.update("whk_none", null, { url: "https://y.example" }, NOW)).toBeUndefined();
  });

  test("a filter is stored as given, kept by updates that do not name it, replaced, and removed by null", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook({ filterJson: '{"n":{"$gte":1}}' });
    await store.create(hook);
    expect((await store.get(hook.id, null))!.filterJson).toBe('{"n":{"$gte":1}}');
    expect(await store.update(hook.id, null, { url: "https://kept.example" }, NOW + 1)).toMatchObject({ filterJson: '{"n":{"$gte":1}}' });
    expect(await store.update(hook.id, null, { filterJson: '{"m":2}' }, NOW + 2)).toMatchObject({ filterJson: '{"m":2}', url: "https://kept.example" });
    expect(await store.update(hook.id, null, { filterJson: null }, NOW + 3)).toMatchObject({ filterJson: null });
    expect((await h().row("webhooks", hook.id))!.filter).toBeNull();
    const [listed] = (await store.list("default", {}, { limit: 10 })).rows;
    expect(listed).toMatchObject({ id: hook.id, filterJson: null });
  });

  test("delivery controls: stored as given, changed only when named, removed by null", async () => {
    const store = webhooksOf(h());
    const controls = { retrySchedule: [1, 60, 3600], timeoutMs: 2500, headers: { Authorization: "Bearer t0k", "X-Tenant": "acme" } };
    const hook = newWebhook(controls);
    await store.create(hook);
    expect(await store.get(hook.id, null)).toMatchObject(controls);
    expect(await store.update(hook.id, null, { url: "https://x.example" }, NOW + 1)).toMatchObject(controls);
    expect(await store.update(hook.id, null, { timeoutMs: 300, headers: { "X-Only": "1" } }, NOW + 2)).toMatchObject({
      retrySchedule: [1, 60, 3600], timeoutMs: 300, headers: { "X-Only": "1" },
    });
    expect(await store.update(hook.id, null, { retrySchedule: null, headers: null }, NOW + 3)).toMatchObject({ retrySchedule: null, timeoutMs: 300, headers: null });
    expect(await store.update(hook.id, null, { timeoutMs: null }, NOW + 4)).toMatchObject({ retrySchedule: null, timeoutMs: null, headers: null });
    // Listed with them too.
    const listed = await store.create(newWebhook({ retrySchedule: [5] }));
    expect(listed).toBe(true);
    expect((await store.list("default", {}, { limit: 10 })).rows[0]).toMatchObject({ retrySchedule: [5], timeoutMs: null, headers: null });
  });

  test("rotation keeps the old secret as the previous one; a new secret by update retires it at once", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook();
    await store.create(hook);
    expect(await store.rotateSecret(hook.id, "acme", "whsec_new", NOW + 5000, NOW + 1)).toBe(false);
    expect(await store.rotateSecret(hook.id, null, "whsec_new", NOW + 5000, NOW + 1)).toBe(true);
    expect(await store.get(hook.id, null)).toMatchObject({ secret: "whsec_new", previousSecret: hook.secret, previousSecretExpiresAt: NOW + 5000, updatedAt: NOW + 1 });
    expect(await store.update(hook.id, null, { secret: "whsec_newer" }, NOW + 2)).toMatchObject({ secret: "whsec_newer", previousSecret: null, previousSecretExpiresAt: null });
  });

  test("update with keepPreviousUntil (a switch of signature kind) keeps the current secret signing as the previous one", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook();
    await store.create(hook);
    await store.rotateSecret(hook.id, null, "whsec_rotated", NOW + 5000, NOW + 1);
    // Only one previous is kept: the rotated-out one goes, the current one takes its place.
    expect(await store.update(hook.id, null, { secret: "whsk_switched", keepPreviousUntil: NOW + 9000, url: "https://example.com/moved" }, NOW + 2)).toMatchObject({
      secret: "whsk_switched", previousSecret: "whsec_rotated", previousSecretExpiresAt: NOW + 9000, url: "https://example.com/moved",
    });
    // Without a new secret, keepPreviousUntil changes nothing.
    expect(await store.update(hook.id, null, { keepPreviousUntil: NOW + 1, active: false, disabledReason: "x" }, NOW + 3)).toMatchObject({
      secret: "whsk_switched", previousSecret: "whsec_rotated", previousSecretExpiresAt: NOW + 9000,
    });
  });

  test("list: one tenant, newest first, filtered by active and event type, in pages", async () => {
    const store = webhooksOf(h());
    const hooks = [newWebhook({ events: ["a"] }), newWebhook({ events: ["b"] }), newWebhook({ events: ["a", "b"] }), newWebhook({ events: ["a"] })];
    for (const hook of hooks) await store.create(hook);
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    await store.create(newWebhook({ tenantId: "acme", events: ["a"] }));
    await store.update(hooks[3]!.id, null, { active: false, disabledReason: "off" }, NOW + 100);
    const ids = async (filter: Parameters<WebhookStore["list"]>[1], limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list("default", filter, { limit, cursor });
        seen.push(...page.rows.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen;
    };
    const newestFirst = hooks.map((x) => x.id).reverse();
    expect(await ids({}, 10)).toEqual(newestFirst);
    expect(await ids({}, 1)).toEqual(newestFirst);
    expect(await ids({ active: true }, 2)).toEqual([hooks[2]!.id, hooks[1]!.id, hooks[0]!.id]);
    expect(await ids({ event: "a" }, 10)).toEqual([hooks[3]!.id, hooks[2]!.id, hooks[0]!.id]);
    expect(await ids({ event: "b", active: true }, 10)).toEqual([hooks[2]!.id, hooks[1]!.id]);
  });

  test("delete takes its deliveries; another tenant's webhook is missing", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook();
    await store.create(hook);
    const outcome = await store.sendTest(hook.id, null, { id: "evt_test", type: "webhook.test", body: "{}", createdAt: NOW, traceParent: null });
    expect(outcome).toMatchObject({ sent: true });
    expect(await store.delete(hook.id, "acme")).toBe(false);
    expect(await store.delete(hook.id, "default")).toBe(true);
    expect(await store.delete(hook.id, null)).toBe(false);
    expect(await h().rows("deliveries")).toEqual([]);
    expect(await subscriptions(h(), hook.id)).toEqual([]);
  });

  test("sendTest: the event and one due delivery for an active webhook; missing and disabled say so", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook();
    await store.create(hook);
    const event = { id: "evt_t1", type: "webhook.test", body: '{"type":"webhook.test"}', createdAt: NOW + 10, traceParent: "00-a-b-01" };
    const outcome = await store.sendTest(hook.id, "default", event);
    if (!outcome.sent) throw new Error("not sent");
    expect(await h().row("deliveries", outcome.deliveryId)).toMatchObject({ eventId: "evt_t1", webhookId: hook.id, status: "pending", nextAttemptAt: NOW + 10, tenantId: "default" });
    expect(await h().row("events", "evt_t1")).toMatchObject({ body: event.body, traceParent: "00-a-b-01", tenantId: "default" });
    expect(await store.sendTest(hook.id, "acme", { ...event, id: "evt_t2" })).toEqual({ sent: false, reason: "missing" });
    await store.update(hook.id, null, { active: false, disabledReason: "off" }, NOW + 20);
    expect(await store.sendTest(hook.id, null, { ...event, id: "evt_t3" })).toEqual({ sent: false, reason: "disabled" });
    expect(await h().rows("events")).toHaveLength(1);
  });

  test("the delivery controls: created, read, set and cleared alone; ordering carries the queued rows into the line and out of it", async () => {
    const store = webhooksOf(h());
    const hook = newWebhook({ ordering: "fifo", rateLimit: 20 });
    await store.create(hook);
    expect(await store.get(hook.id, null)).toMatchObject({ ordering: "fifo", rateLimit: 20 });
    const event = { id: "evt_c1", type: "webhook.test", body: "{}", createdAt: NOW + 10, traceParent: null };
    const sent = await store.sendTest(hook.id, null, event);
    if (!sent.sent) throw new Error("not sent");
    // Queued in the line: enqueue copies the webhook's ordering.
    expect(await h().row("deliveries", sent.deliveryId)).toMatchObject({ fifo: true });
    // A row that only waited for the line (never attempted) is due at once when it is cleared.
    await h().update("deliveries", sent.deliveryId, { nextAttemptAt: NOW + 60_000 });
    expect(await store.update(hook.id, null, { rateLimit: null }, NOW + 20)).toMatchObject({ ordering: "fifo", rateLimit: null });
    expect(await h().row("deliveries", sent.deliveryId)).toMatchObject({ fifo: true, nextAttemptAt: NOW + 60_000 });
    expect(await store.update(hook.id, null, { ordering: null }, NOW + 30)).toMatchObject({ ordering: null, rateLimit: null });
    expect(await h().row("deliveries", sent.deliveryId)).toMatchObject({ fifo: false, nextAttemptAt: NOW + 30 });
    expect(await store.update(hook.id, null, { ordering: "fifo", rateLimit: 7 }, NOW + 40)).toMatchObject({ ordering: "fifo", rateLimit: 7 });
    expect(await h().row("deliveries", sent.deliveryId)).toMatchObject({ fifo: true, nextAttemptAt: NOW + 30 });
    // Finished rows are left as they are.
    await h().update("deliveries", sent.deliveryId, { status: "delivered" });
    await store.update(hook.id, null, { ordering: null }, NOW + 50);
    expect(await h().row("deliveries", sent.deliveryId)).toMatchObject({ fifo: true, status: "delivered" });
  });
});
