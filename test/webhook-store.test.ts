// The WebhookStore and EventTypeStore contracts (db/aggregates/), on a real SQLite file: tenant
// scope in every lookup, opaque cursors, what an update keeps and clears, the tenant a create
// needs, rotation and the test event. A PostgreSQL store must pass the same.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NewWebhook } from "../src/db/aggregates/webhooks";
import { closeDatabase, openDatabase, type Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { SqliteStore } from "../src/db/sqlite/store";

let dir: string;
let db: Db;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookrelay-webhook-store-"));
  db = openDatabase(join(dir, "store.db"));
  migrateDatabase(db);
  store = new SqliteStore(db);
});
afterEach(() => {
  closeDatabase(db);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function webhook(overrides: Partial<NewWebhook> = {}): NewWebhook {
  n++;
  return {
    id: `whk_${String(n).padStart(4, "0")}`, tenantId: "default", url: `https://hooks.example.com/${n}`, events: ["link.clicked"],
    metadataJson: '{"n":1234567890123456789}', secret: "whsec_one", createdAt: 1_000 + n, ...overrides,
  };
}

const addTenant = (id: string) => db.$client.prepare("INSERT INTO tenants (id, metadata, created_at, updated_at) VALUES (?, '{}', 0, 0)").run(id);

describe("webhooks", () => {
  test("a create reads back as written, metadata text included", async () => {
    const w = webhook();
    expect(await store.webhooks.create(w)).toBe(true);
    expect(await store.webhooks.get(w.id, null)).toEqual({
      id: w.id, tenantId: "default", url: w.url, events: ["link.clicked"], active: true, metadataJson: '{"n":1234567890123456789}',
      secret: "whsec_one", previousSecret: null, previousSecretExpiresAt: null, disabledReason: null, filterJson: null, createdAt: w.createdAt, updatedAt: w.createdAt,
      retrySchedule: null, timeoutMs: null, headers: null, ordering: null, rateLimit: null,
    });
  });

  test("a create into a tenant that does not exist writes nothing", async () => {
    const w = webhook({ tenantId: "acme" });
    expect(await store.webhooks.create(w)).toBe(false);
    expect(await store.webhooks.get(w.id, null)).toBeUndefined();
    addTenant("acme");
    expect(await store.webhooks.create(w)).toBe(true);
    expect((await store.webhooks.get(w.id, "acme"))?.tenantId).toBe("acme");
  });

  test("another tenant's webhook is missing for every lookup by id, and untouched", async () => {
    addTenant("acme");
    const w = webhook({ tenantId: "acme" });
    await store.webhooks.create(w);
    expect(await store.webhooks.get(w.id, "default")).toBeUndefined();
    expect(await store.webhooks.update(w.id, "default", { url: "https://evil.example.com/" }, 5_000)).toBeUndefined();
    expect(await store.webhooks.rotateSecret(w.id, "default", "whsec_two", 9_000, 5_000)).toBe(false);
    expect(await store.webhooks.sendTest(w.id, "default", { id: "evt_t", type: "webhook.test", body: "{}", createdAt: 5_000, traceParent: null }))
      .toEqual({ sent: false, reason: "missing" });
    expect(await store.webhooks.delete(w.id, "default")).toBe(false);
    expect(await store.webhooks.get(w.id, "acme")).toMatchObject({ url: w.url, secret: "whsec_one" });
    expect(await store.webhooks.get(w.id, null)).toBeDefined();
    expect((await store.webhooks.list("default", {}, { limit: 10 })).rows).toEqual([]);
  });

  test("an update sets what it names and keeps the rest; a new secret retires the previous one", async () => {
    const w = webhook();
    await store.webhooks.create(w);
    await store.webhooks.rotateSecret(w.id, null, "whsec_two", 90_000, 2_000);
    expect(await store.webhooks.get(w.id, null)).toMatchObject({ secret: "whsec_two", previousSecret: "whsec_one", previousSecretExpiresAt: 90_000, updatedAt: 2_000 });

    const urlOnly = await store.webhooks.update(w.id, null, { url: "https://hooks.example.com/moved" }, 3_000);
    expect(urlOnly).toMatchObject({ url: "https://hooks.example.com/moved", events: ["link.clicked"], secret: "whsec_two", previousSecret: "whsec_one", updatedAt: 3_000 });

    const newSecret = await store.webhooks.update(w.id, null, { secret: "whsec_three", events: ["uptime.down"], metadataJson: "{}" }, 4_000);
    expect(newSecret).toMatchObject({ secret: "whsec_three", previousSecret: null, previousSecretExpiresAt: null, events: ["uptime.down"], metadataJson: "{}" });
  });

  test("disabling stores its reason; enabling clears it and restarts the auto-disable clock", async () => {
    const w = webhook();
    await store.webhooks.create(w);
    expect(await store.webhooks.update(w.id, null, { active: false, disabledReason: "Disabled by an API request" }, 5_000))
      .toMatchObject({ active: false, disabledReason: "Disabled by an API request" });
    expect(await store.webhooks.update(w.id, null, { url: "https://hooks.example.com/x" }, 6_000)).toMatchObject({ active: false, disabledReason: "Disabled by an API request" });
    expect(await store.webhooks.update(w.id, null, { active: true }, 7_000)).toMatchObject({ active: true, disabledReason: null });
    const lastSuccessAt = db.$client.prepare("SELECT last_success_at FROM webhooks WHERE id = ?").pluck().get(w.id);
    expect(lastSuccessAt).toBe(7_000);
  });

  test("lists page newest first with cursors, filtered by tenant, active and event type", async () => {
    addTenant("acme");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const w = webhook({ events: i % 2 === 0 ? ["link.clicked"] : ["uptime.down"] });
      await store.webhooks.create(w);
      ids.push(w.id);
    }
    await store.webhooks.create(webhook({ tenantId: "acme" }));
    const pick = (...at: number[]) => at.map((i) => ids[i]!);
    await store.webhooks.update(ids[4]!, null, { active: false, disabledReason: "off" }, 9_000);

    const first = await store.webhooks.list("default", {}, { limit: 2 });
    expect(first.rows.map((r) => r.id)).toEqual(pick(4, 3));
    expect(first.nextCursor).toBeString();
    const second = await store.webhooks.list("default", {}, { limit: 2, cursor: first.nextCursor! });
    expect(second.rows.map((r) => r.id)).toEqual(pick(2, 1));
    const last = await store.webhooks.list("default", {}, { limit: 2, cursor: second.nextCursor! });
    expect(last.rows.map((r) => r.id)).toEqual(pick(0));
    expect(last.nextCursor).toBeNull();

    expect((await store.webhooks.list("default", { event: "link.clicked" }, { limit: 10 })).rows.map((r) => r.id)).toEqual(pick(4, 2, 0));
    expect((await store.webhooks.list("default", { event: "link.clicked", active: true }, { limit: 10 })).rows.map((r) => r.id)).toEqual(pick(2, 0));
    expect((await store.webhooks.list("default", { active: false }, { limit: 10 })).rows.map((r) => r.id)).toEqual(pick(4));
    expect((await store.webhooks.list("acme", {}, { limit: 10 })).rows).toHaveLength(1);
  });

  test("a test event goes to an active webhook only, in its own tenant", async () => {
    addTenant("acme");
    const w = webhook({ tenantId: "acme" });
    await store.webhooks.create(w);
    const event = { id: "evt_test1", type: "webhook.test", body: '{"id":"evt_test1"}', createdAt: 5_000, traceParent: null };
    const sent = await store.webhooks.sendTest(w.id, null, event);
    expect(sent).toEqual({ sent: true, deliveryId: expect.stringMatching(/^dlv_/) });
    const row = db.$client.prepare("SELECT d.tenant_id AS tenant, d.webhook_id AS webhook, d.status, e.body FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?")
      .get((sent as { deliveryId: string }).deliveryId);
    expect(row).toEqual({ tenant: "acme", webhook: w.id, status: "pending", body: '{"id":"evt_test1"}' });

    await store.webhooks.update(w.id, null, { active: false, disabledReason: "off" }, 6_000);
    expect(await store.webhooks.sendTest(w.id, "acme", { ...event, id: "evt_test2" })).toEqual({ sent: false, reason: "disabled" });
    expect(db.$client.prepare("SELECT count(*) FROM events").pluck().get()).toBe(1);
  });

  test("a delete takes the webhook and its subscriptions", async () => {
    const w = webhook();
    await store.webhooks.create(w);
    expect(await store.webhooks.delete(w.id, "default")).toBe(true);
    expect(await store.webhooks.get(w.id, null)).toBeUndefined();
    expect(db.$client.prepare("SELECT count(*) FROM webhook_event_types").pluck().get()).toBe(0);
    expect(await store.webhooks.delete(w.id, null)).toBe(false);
  });
});

describe("event types", () => {
  test("put creates, then updates only what it names; archiving again keeps the first time", async () => {
    const created = await store.eventTypes.put("order.paid", { description: "Paid", schemaJson: '{"type":"object"}' }, 1_000);
    expect(created).toEqual({
      created: true,
      type: { name: "order.paid", description: "Paid", schemaJson: '{"type":"object"}', archivedAt: null, createdAt: 1_000, updatedAt: 1_000 },
    });
    expect((await store.eventTypes.put("order.paid", { archived: true }, 2_000)).type).toMatchObject({ description: "Paid", schemaJson: '{"type":"object"}', archivedAt: 2_000 });
    expect((await store.eventTypes.put("order.paid", { archived: true }, 3_000)).type.archivedAt).toBe(2_000);
    const cleared = await store.eventTypes.put("order.paid", { schemaJson: null, archived: false }, 4_000);
    expect(cleared).toMatchObject({ created: false, type: { description: "Paid", schemaJson: null, archivedAt: null, createdAt: 1_000, updatedAt: 4_000 } });
  });

  test("a type created archived is archived from its creation; list is by name", async () => {
    await store.eventTypes.put("zeta.done", {}, 1_000);
    await store.eventTypes.put("alpha.done", { archived: true }, 2_000);
    expect((await store.eventTypes.list()).map((t) => [t.name, t.archivedAt, t.description])).toEqual([["alpha.done", 2_000, ""], ["zeta.done", null, ""]]);
    expect(await store.eventTypes.get("beta.done")).toBeUndefined();
  });
});
