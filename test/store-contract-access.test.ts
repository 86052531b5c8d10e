// ApiKeyStore, TenantStore and EventTypeStore (src/db/aggregates/) as contracts: the same cases
// against both stores of test/helpers/store-backends.ts.
import { expect, test } from "bun:test";
import type { ApiKeyStore, NewApiKeyRecord } from "../src/db/aggregates/api-keys";
import type { EventTypeStore } from "../src/db/aggregates/event-types";
import type { TenantStore } from "../src/db/aggregates/tenants";
import type { Store } from "../src/db/store";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_750_000_000_000;

const keysOf = (h: StoreHarness) => (h.store as Store & { apiKeys: ApiKeyStore }).apiKeys;
const typesOf = (h: StoreHarness) => (h.store as Store & { eventTypes: EventTypeStore }).eventTypes;
const tenantsOf = (h: StoreHarness) => (h.store as Store & { tenants: TenantStore }).tenants;

let seq = 0;
function newKey(values: Partial<NewApiKeyRecord> = {}): NewApiKeyRecord {
  const n = ++seq;
  return { id: `key_${n}`, name: `key ${n}`, keyHash: `hash_${n}`, kind: "api_key", tenantId: null, canPublish: true, expiresAt: null, createdAt: NOW + n, ...values };
}

describeStores("ApiKeyStore", (h) => {
  test("create stores the key for an existing tenant or the platform, refuses an unknown tenant", async () => {
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    const platform = newKey();
    expect(await keysOf(h()).create(platform)).toEqual({
      id: platform.id, name: platform.name, kind: "api_key", tenantId: null, canPublish: true, createdAt: platform.createdAt, lastUsedAt: null, expiresAt: null, revokedAt: null,
    });
    expect(await keysOf(h()).create(newKey({ tenantId: "acme", kind: "portal", canPublish: false, expiresAt: NOW + 1000 }))).toMatchObject({ tenantId: "acme", kind: "portal", canPublish: false, expiresAt: NOW + 1000 });
    const orphan = newKey({ tenantId: "nobody" });
    expect(await keysOf(h()).create(orphan)).toBeUndefined();
    expect(await keysOf(h()).get(orphan.id)).toBeUndefined();
  });

  test("findUnrevoked reads by hash until the key is revoked; revoking again keeps the first time", async () => {
    const key = newKey();
    await keysOf(h()).create(key);
    expect(await keysOf(h()).findUnrevoked(key.keyHash)).toEqual({ id: key.id, keyHash: key.keyHash, tenantId: null, canPublish: true, kind: "api_key", expiresAt: null, lastUsedAt: null });
    expect(await keysOf(h()).findUnrevoked("hash_unknown")).toBeUndefined();
    expect((await keysOf(h()).revoke(key.id, NOW + 100))!.revokedAt).toBe(NOW + 100);
    expect((await keysOf(h()).revoke(key.id, NOW + 200))!.revokedAt).toBe(NOW + 100);
    expect(await keysOf(h()).findUnrevoked(key.keyHash)).toBeUndefined();
    expect(await keysOf(h()).revoke("key_none", NOW)).toBeUndefined();
  });

  test("touch refreshes last_used_at", async () => {
    const key = newKey();
    await keysOf(h()).create(key);
    await keysOf(h()).touch(key.id, NOW + 5000);
    expect((await keysOf(h()).get(key.id))!.lastUsedAt).toBe(NOW + 5000);
    expect((await keysOf(h()).findUnrevoked(key.keyHash))!.lastUsedAt).toBe(NOW + 5000);
  });

  test("list: newest first, by tenant (null: platform keys only) and kind, in pages whose cursors the store reads back", async () => {
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    const keys = [newKey(), newKey({ tenantId: "acme" }), newKey({ tenantId: "acme", kind: "portal", canPublish: false }), newKey(), newKey({ tenantId: "acme" })];
    for (const key of keys) await keysOf(h()).create(key);
    const ids = async (filter: Parameters<ApiKeyStore["list"]>[0], limit = 10) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await keysOf(h()).list(filter, { limit, cursor });
        expect(page.rows.length).toBeLessThanOrEqual(limit);
        seen.push(...page.rows.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen;
    };
    const newestFirst = keys.map((k) => k.id).reverse();
    expect(await ids({})).toEqual(newestFirst);
    expect(await ids({}, 2)).toEqual(newestFirst);
    expect(await ids({ tenantId: null })).toEqual([keys[3]!.id, keys[0]!.id]);
    expect(await ids({ tenantId: "acme" }, 1)).toEqual([keys[4]!.id, keys[2]!.id, keys[1]!.id]);
    expect(await ids({ tenantId: "acme", kind: "portal" })).toEqual([keys[2]!.id]);
    expect((await keysOf(h()).list({}, { limit: 5 })).nextCursor).toBeNull();
  });

  test("registerAdminKey revokes the keys an earlier value registered, and un-revokes this one if revoked by hand", async () => {
    const earlier = newKey({ name: "ADMIN_API_KEY" });
    await keysOf(h()).registerAdminKey(earlier);
    expect(await keysOf(h()).findUnrevoked(earlier.keyHash)).toBeDefined();
    const current = newKey({ name: "ADMIN_API_KEY" });
    await keysOf(h()).registerAdminKey(current);
    expect((await keysOf(h()).get(earlier.id))!.revokedAt).toBe(current.createdAt);
    expect(await keysOf(h()).findUnrevoked(current.keyHash)).toBeDefined();
    await keysOf(h()).revoke(current.id, NOW + 50);
    await keysOf(h()).registerAdminKey({ ...current, id: "key_other_id" });
    expect((await keysOf(h()).get(current.id))!.revokedAt).toBeNull();
    expect(await keysOf(h()).get("key_other_id")).toBeUndefined();
  });

  test("createIfNoKeys stores a key only while no unrevoked API key exists, once however many ask at once", async () => {
    await h().insert("tenants", { id: "acme", createdAt: NOW, updatedAt: NOW });
    await keysOf(h()).create(newKey({ tenantId: "acme", kind: "portal", canPublish: false })); // a portal link is no key
    const nodes = h().sharedByNodes ? [keysOf(h()), keysOf({ ...h(), store: await h().otherNode() }), keysOf({ ...h(), store: await h().otherNode() })] : [keysOf(h())];
    const created = await Promise.all(nodes.map((node) => node.createIfNoKeys(newKey())));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await keysOf(h()).createIfNoKeys(newKey())).toBe(false);
  });
});

describeStores("EventTypeStore", (h) => {
  test("put creates with defaults, then changes only the fields given; archiving again keeps the first time", async () => {
    const types = typesOf(h());
    expect(await types.put("order.created", {}, NOW)).toEqual({
      type: { name: "order.created", description: "", schemaJson: null, archivedAt: null, createdAt: NOW, updatedAt: NOW },
      created: true,
    });
    const schema = '{"type":"object",  "required":["id"]}';
    expect(await types.put("order.created", { description: "An order", schemaJson: schema }, NOW + 1)).toEqual({
      type: { name: "order.created", description: "An order", schemaJson: schema, archivedAt: null, createdAt: NOW, updatedAt: NOW + 1 },
      created: false,
    });
    expect((await types.put("order.created", { archived: true }, NOW + 2)).type).toMatchObject({ description: "An order", schemaJson: schema, archivedAt: NOW + 2 });
    expect((await types.put("order.created", { archived: true }, NOW + 3)).type.archivedAt).toBe(NOW + 2);
    expect((await types.put("order.created", { archived: false, schemaJson: null }, NOW + 4)).type).toMatchObject({ schemaJson: null, archivedAt: null, description: "An order" });
    expect((await types.put("order.shipped", { archived: true }, NOW + 5)).type.archivedAt).toBe(NOW + 5);
  });

  test("get and list (by name)", async () => {
    const types = typesOf(h());
    await types.put("b.type", {}, NOW);
    await types.put("a.type", { description: "first" }, NOW);
    expect((await types.get("a.type"))!.description).toBe("first");
    expect(await types.get("none")).toBeUndefined();
    expect((await types.list()).map((t) => t.name)).toEqual(["a.type", "b.type"]);
  });

  test("nodes creating the same type at once: one row, one of them created it", async () => {
    const nodes = h().sharedByNodes ? [typesOf(h()), typesOf({ ...h(), store: await h().otherNode() }), typesOf({ ...h(), store: await h().otherNode() })] : [typesOf(h())];
    const results = await Promise.all(nodes.map((node, i) => node.put("race.type", { description: `node ${i}` }, NOW + i)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await typesOf(h()).list()).toHaveLength(1);
  });
});

describeStores("TenantStore", (h) => {
  test("put creates with defaults, then changes only the fields given", async () => {
    const tenants = tenantsOf(h());
    expect(await tenants.put("acme", { metadata: { plan: "pro", n: 1 } }, NOW)).toEqual({
      tenant: { id: "acme", name: null, metadata: { plan: "pro", n: 1 }, createdAt: NOW, updatedAt: NOW },
      created: true,
    });
    expect(await tenants.put("acme", { name: "Acme" }, NOW + 1)).toEqual({
      tenant: { id: "acme", name: "Acme", metadata: { plan: "pro", n: 1 }, createdAt: NOW, updatedAt: NOW + 1 },
      created: false,
    });
    expect((await tenants.put("acme", { name: null, metadata: {} }, NOW + 2)).tenant).toMatchObject({ name: null, metadata: {} });
    expect(await tenants.exists("acme")).toBe(true);
    expect(await tenants.exists("nobody")).toBe(false);
    expect(await tenants.get("nobody")).toBeUndefined();
  });

  test("list: newest first in pages", async () => {
    const tenants = tenantsOf(h());
    // Later than the default tenant the migrations made.
    const later = Date.now() + 60_000;
    for (const [i, id] of ["t1", "t2", "t3"].entries()) await tenants.put(id, {}, later + i);
    const first = await tenants.list({ limit: 2 });
    expect(first.rows.map((t) => t.id)).toEqual(["t3", "t2"]);
    const second = await tenants.list({ limit: 3, cursor: first.nextCursor! });
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.rows.map((t) => t.id)).toEqual(["t1", "default"]);
  });

  test("delete takes the tenant's keys, webhooks and events, and through them its deliveries and attempts; others stay", async () => {
    const tenants = tenantsOf(h());
    await tenants.put("acme", {}, NOW);
    await tenants.put("other", {}, NOW);
    for (const tenantId of ["acme", "other"]) {
      await keysOf(h()).create(newKey({ tenantId }));
      await h().insert("webhooks", { id: `whk_${tenantId}`, url: "https://example.com/in", events: "[]", secret: "s", createdAt: NOW, updatedAt: NOW, tenantId });
      for (const i of [1, 2]) {
        await h().insert("events", { id: `evt_${tenantId}_${i}`, type: "t", body: "{}", createdAt: NOW, tenantId, publicId: `evt_${i}` });
        await h().insert("deliveries", { id: `dlv_${tenantId}_${i}`, eventId: `evt_${tenantId}_${i}`, transport: "http", webhookId: `whk_${tenantId}`, status: "pending", nextAttemptAt: NOW, createdAt: NOW, updatedAt: NOW, tenantId });
        await h().insert("deliveryAttempts", { deliveryId: `dlv_${tenantId}_${i}`, attemptedAt: NOW, durationMs: 1 });
      }
    }
    expect(await tenants.delete("acme")).toEqual({ apiKeys: 1, webhooks: 1, events: 2, deliveries: 2 });
    expect(await tenants.get("acme")).toBeUndefined();
    expect(await tenants.delete("acme")).toBeUndefined();
    for (const table of ["webhooks", "events", "deliveries", "apiKeys"] as const) {
      expect(new Set((await h().rows(table)).map((r) => r.tenantId))).toEqual(new Set(["other"]));
    }
    expect(await h().rows("deliveryAttempts")).toHaveLength(2);
  });

  test("nodes creating the same tenant at once: one row, one of them created it", async () => {
    const nodes = h().sharedByNodes ? [tenantsOf(h()), tenantsOf({ ...h(), store: await h().otherNode() })] : [tenantsOf(h())];
    const results = await Promise.all(nodes.map((node, i) => node.put("race", { name: `node ${i}` }, NOW)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});
