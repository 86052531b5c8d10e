// Tenancy end to end: publishing is per tenant (two tenants on one type each receive only
// their own events), idempotency is per tenant, tenants are created, listed and deleted with
// everything they own, and portal links are short-lived tenant keys that cannot publish.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApiKey } from "../src/auth/api-keys";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let t: DeliveryTestApp;
let acmeReceiver: Receiver;
let globexReceiver: Receiver;
let acmeKey: string;

beforeAll(async () => {
  t = createDeliveryTestApp();
  acmeReceiver = startReceiver();
  globexReceiver = startReceiver();
  for (const id of ["acme", "globex"]) await t.request("PUT", `/api/v1/tenants/${id}`, { name: id.toUpperCase() });
  acmeKey = (await createApiKey(t.deps.store.apiKeys, { name: "acme backend", tenantId: "acme", canPublish: true })).key;
});
afterAll(async () => {
  acmeReceiver.stop();
  globexReceiver.stop();
  await t.shutdown();
});

describe("publishing is per tenant", () => {
  test("two tenants subscribed to the same type each receive only their own events", async () => {
    // acme's webhook is made with acme's own key, globex's by the platform key naming it.
    const made = await t.request("POST", "/api/v1/links/webhooks", { url: acmeReceiver.url, events: ["link.clicked"] }, { auth: { bearer: acmeKey } });
    expect(made.status).toBe(201);
    const other = await t.request("POST", "/api/v1/links/webhooks", { url: globexReceiver.url, events: ["link.clicked"], tenant_id: "globex" });
    expect(other.status).toBe(201);

    const published: Record<string, string[]> = { acme: [], globex: [] };
    for (let i = 0; i < 5; i++) {
      const a = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { tenant: "acme", i } }, { auth: { bearer: acmeKey } });
      const g = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { tenant: "globex", i }, tenant_id: "globex" });
      expect([a.status, a.body.data.deliveries, g.status, g.body.data.deliveries]).toEqual([202, 1, 202, 1]);
      published.acme!.push(a.body.data.id);
      published.globex!.push(g.body.data.id);
    }
    // The default tenant has no subscriber: nothing is delivered anywhere.
    const none = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { tenant: "default" } });
    expect(none.body.data.deliveries).toBe(0);

    await waitFor(() => acmeReceiver.received.length >= 5 && globexReceiver.received.length >= 5, 5000, "both receivers");
    await Bun.sleep(100); // nothing more arrives
    const seen = (r: Receiver) => r.received.map((req) => JSON.parse(req.body) as { id: string; data: { tenant: string } });
    expect(seen(acmeReceiver).map((e) => e.id).sort()).toEqual(published.acme!.sort());
    expect(seen(globexReceiver).map((e) => e.id).sort()).toEqual(published.globex!.sort());
    expect(new Set(seen(acmeReceiver).map((e) => e.data.tenant))).toEqual(new Set(["acme"]));
    expect(new Set(seen(globexReceiver).map((e) => e.data.tenant))).toEqual(new Set(["globex"]));
  });

  test("an event id or idempotency key is unique per tenant: two tenants may both use one", async () => {
    const body = { type: "link.clicked", data: { order: 1 }, id: "order-1" };
    const a = await t.request("POST", "/api/v1/events", body, { auth: { bearer: acmeKey } });
    const g = await t.request("POST", "/api/v1/events", { ...body, tenant_id: "globex" });
    expect([a.status, g.status]).toEqual([202, 202]);
    expect(a.body.data.id).toBe("order-1");
    expect(g.body.data.id).toBe("order-1");
    expect(a.headers.get("idempotent-replayed")).toBeNull();
    expect(g.headers.get("idempotent-replayed")).toBeNull();
    await waitFor(() => acmeReceiver.received.some((r) => r.headers["webhook-id"] === "order-1"), 5000, "acme's order-1");
    await waitFor(() => globexReceiver.received.some((r) => r.headers["webhook-id"] === "order-1"), 5000, "globex's order-1");

    const keyed = (tenant: string) =>
      t.request("POST", "/api/v1/events", { type: "link.clicked", data: { order: 2 }, tenant_id: tenant }, { headers: { "idempotency-key": "k-2" } });
    const first = await keyed("acme");
    const second = await keyed("globex");
    expect(first.body.data.id).not.toBe(second.body.data.id);
    const replay = await keyed("acme");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.data).toEqual(first.body.data);
  });

  test("reusing an idempotency key or event id with a different body is 422, and nothing is stored", async () => {
    const events = () => t.deps.db.$client.prepare("select count(*) from events").pluck().get() as number;
    await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { v: 1 } }, { headers: { "idempotency-key": "k-422" } });
    const stored = events();
    const conflict = {
      error: "Unprocessable Entity",
      message: "This idempotency key (or event id) was already used with a different request body; use a new key for a new event",
      code: 422,
    };
    const byKey = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { v: 2 } }, { headers: { "idempotency-key": "k-422" } });
    expect([byKey.status, byKey.body]).toEqual([422, conflict]);
    await t.request("POST", "/api/v1/events", { type: "uptime.down", data: { v: 1 }, id: "evt-422" });
    const byId = await t.request("POST", "/api/v1/events", { type: "uptime.up", data: { v: 1 }, id: "evt-422" });
    expect([byId.status, byId.body]).toEqual([422, conflict]);
    expect(events()).toBe(stored + 1);
  });
});

describe("tenants", () => {
  test("PUT creates (201) then updates only the fields given (200); GET reads; the list pages newest first", async () => {
    const created = await t.request("PUT", "/api/v1/tenants/initech.eu_1", { name: "Initech", metadata: { plan: "pro" } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body.data)).toEqual(["id", "name", "metadata", "created_at", "updated_at"]);
    expect(created.body.data).toMatchObject({ id: "initech.eu_1", name: "Initech", metadata: { plan: "pro" } });
    const updated = await t.request("PUT", "/api/v1/tenants/initech.eu_1", { metadata: { plan: "enterprise" } });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ name: "Initech", metadata: { plan: "enterprise" }, created_at: created.body.data.created_at });
    expect((await t.request("GET", "/api/v1/tenants/initech.eu_1")).body.data).toEqual(updated.body.data);

    const seen: string[] = [];
    let cursor = "";
    for (let pages = 0; pages < 10; pages++) {
      const page = await t.request("GET", `/api/v1/tenants?limit=2${cursor}`);
      seen.push(...page.body.data.map((x: { id: string }) => x.id));
      if (!page.body.pagination.has_more) break;
      cursor = `&cursor=${page.body.pagination.next_cursor}`;
    }
    expect(seen[0]).toBe("initech.eu_1");
    expect(seen).toContain("default");
    expect(new Set(seen).size).toBe(seen.length);
  });

  test("ids outside 1–64 of A-Z a-z 0-9 _ - . are refused with 400 naming id; an unknown one is 404", async () => {
    for (const bad of ["a b", "x".repeat(65), "ümlaut", "a/b"]) {
      const res = await t.request("PUT", `/api/v1/tenants/${encodeURIComponent(bad)}`, {});
      expect([bad, res.status]).toEqual([bad, res.status === 404 ? 404 : 400]);
    }
    const res = await t.request("PUT", `/api/v1/tenants/${"x".repeat(65)}`, {});
    expect(res.body.details[0].field).toBe("id");
    expect((await t.request("GET", "/api/v1/tenants/nobody")).status).toBe(404);
  });

  test("DELETE removes the tenant with its webhooks, events, deliveries, attempts and keys, and says how many", async () => {
    await t.request("PUT", "/api/v1/tenants/leaving", {});
    const key = (await createApiKey(t.deps.store.apiKeys, { name: "leaving", tenantId: "leaving", canPublish: true })).key;
    const as = { auth: { bearer: key } };
    const receiver = startReceiver();
    try {
      await t.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.clicked"] }, as);
      await t.request("POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["uptime.down"] }, as);
      for (let i = 0; i < 3; i++) await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { i } }, as);
      await waitFor(() => receiver.received.length >= 3, 5000, "the tenant's deliveries");
    } finally {
      receiver.stop();
    }
    const count = (sql: string) => t.deps.db.$client.prepare(sql).pluck().get("leaving");
    expect(count("select count(*) from delivery_attempts where delivery_id in (select id from deliveries where tenant_id = ?)")).toBeGreaterThanOrEqual(3);

    const res = await t.request("DELETE", "/api/v1/tenants/leaving");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: "leaving", deleted: true, removed: { webhooks: 2, events: 3, deliveries: 3, api_keys: 1 } });
    for (const table of ["webhooks", "events", "deliveries"]) expect(count(`select count(*) from ${table} where tenant_id = ?`)).toBe(0);
    expect(count("select count(*) from api_keys where tenant_id = ?")).toBe(0);
    expect(t.deps.db.$client.prepare("select count(*) from delivery_attempts where delivery_id not in (select id from deliveries)").pluck().get()).toBe(0);
    // Its key is gone on the next request.
    expect((await t.request("GET", "/api/v1/links/webhooks", undefined, as)).status).toBe(401);
    expect((await t.request("DELETE", "/api/v1/tenants/leaving")).status).toBe(404);
  });

  test("the default tenant always exists: DELETE is 409 and changes nothing", async () => {
    const res = await t.request("DELETE", "/api/v1/tenants/default");
    expect([res.status, res.body.message]).toEqual([409, "The default tenant always exists and cannot be deleted"]);
    expect((await t.request("GET", "/api/v1/tenants/default")).status).toBe(200);
  });
});

describe("portal links", () => {
  test("201 {url, expires_at}: a link with the token in its fragment, valid 1 h by default", async () => {
    const before = Date.now();
    const res = await t.request("POST", "/api/v1/tenants/acme/portal", {});
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data)).toEqual(["url", "expires_at"]);
    expect(res.body.data.url).toMatch(/^http:\/\/localhost\/#portal=hrp_[0-9A-Za-z]{40}$/);
    const expiresIn = Date.parse(res.body.data.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(3_590_000);
    expect(expiresIn).toBeLessThanOrEqual(3_601_000);
    const week = await t.request("POST", "/api/v1/tenants/acme/portal", { expires_in: 7 * 24 * 3600 });
    expect(week.status).toBe(201);
  });

  test("its token acts as the tenant, cannot publish, cannot reach platform routes, and shows up as a portal key", async () => {
    const url = (await t.request("POST", "/api/v1/tenants/acme/portal", {})).body.data.url as string;
    const token = url.slice(url.indexOf("#portal=") + "#portal=".length);
    const as = { auth: { bearer: token } };
    const list = await t.request("GET", "/api/v1/links/webhooks", undefined, as);
    expect(list.status).toBe(200);
    expect(new Set(list.body.data.map((w: { tenant_id: string }) => w.tenant_id))).toEqual(new Set(["acme"]));
    expect((await t.request("POST", "/api/v1/events", { type: "link.clicked", data: {} }, as)).status).toBe(403);
    expect((await t.request("GET", "/api/v1/tenants", undefined, as)).status).toBe(403);
    expect((await t.request("POST", "/api/v1/api-keys", { name: "escalate" }, as)).status).toBe(403);
    const me = await t.request("GET", "/api/v1/api-keys/current", undefined, as);
    expect(me.body.data).toMatchObject({ kind: "portal", tenant_id: "acme", tenant_name: "ACME", can_publish: false });
    const portals = await t.request("GET", "/api/v1/api-keys?kind=portal&tenant_id=acme");
    expect(portals.body.data.map((k: { id: string }) => k.id)).toContain(me.body.data.key_id);
  });

  test("expires_in outside 60 s – 7 days is 400 naming it; an unknown tenant is 404", async () => {
    for (const expires_in of [59, 7 * 24 * 3600 + 1, 1.5, "an hour"]) {
      const res = await t.request("POST", "/api/v1/tenants/acme/portal", { expires_in });
      expect([expires_in, res.status, res.body.details?.[0]?.field]).toEqual([expires_in, 400, "expires_in"]);
    }
    expect((await t.request("POST", "/api/v1/tenants/nobody/portal", {})).status).toBe(404);
  });
});

describe("API keys", () => {
  test("created once with the key, listed without it, with tenant, permission and times", async () => {
    const expires_at = new Date(Date.now() + 86_400_000).toISOString();
    const res = await t.request("POST", "/api/v1/api-keys", { name: "acme ci", tenant_id: "acme", can_publish: true, expires_at });
    expect(res.status).toBe(201);
    const created = res.body.data;
    expect(Object.keys(created)).toEqual(["id", "name", "kind", "tenant_id", "can_publish", "created_at", "last_used_at", "expires_at", "revoked_at", "key"]);
    expect(created).toMatchObject({ name: "acme ci", kind: "api_key", tenant_id: "acme", can_publish: true, expires_at, revoked_at: null, last_used_at: null });
    const listed = await t.request("GET", "/api/v1/api-keys?tenant_id=acme&limit=100");
    const row = listed.body.data.find((k: { id: string }) => k.id === created.id);
    expect(row).toEqual({ ...created, key: undefined });
    expect(listed.text).not.toContain(created.key);
    // A tenant key defaults to no publishing; a platform key to publishing.
    const tenantKey = await t.request("POST", "/api/v1/api-keys", { name: "acme reader", tenant_id: "acme" });
    const platformKey = await t.request("POST", "/api/v1/api-keys", { name: "ops" });
    expect([tenantKey.body.data.can_publish, platformKey.body.data.can_publish, platformKey.body.data.tenant_id]).toEqual([false, true, null]);
  });

  test("bad fields are listed; an unknown tenant or an expiry in the past is 400 and creates nothing", async () => {
    const keys = () => t.deps.db.$client.prepare("select count(*) from api_keys").pluck().get();
    const before = keys();
    const bad = await t.request("POST", "/api/v1/api-keys", { name: "", can_publish: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(["can_publish", "name"]);
    const unknown = await t.request("POST", "/api/v1/api-keys", { name: "x", tenant_id: "nobody" });
    expect(unknown.body.details).toEqual([{ field: "tenant_id", message: "Must name an existing tenant (create it with PUT /api/v1/tenants/{id})" }]);
    const past = await t.request("POST", "/api/v1/api-keys", { name: "x", expires_at: "2020-01-01T00:00:00Z" });
    expect(past.body.details).toEqual([{ field: "expires_at", message: "Must be an ISO-8601 date-time in the future" }]);
    expect(keys()).toBe(before);
    expect((await t.request("DELETE", "/api/v1/api-keys/key_nothing")).status).toBe(404);
  });
});
