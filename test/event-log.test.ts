// Reading back what was sent: the event log with exact payloads, delivery search across
// webhooks within a tenant (bounded per request), bulk retry, and alerts of surface B.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApiKey } from "../src/auth/api-keys";
import { SEARCH_WINDOW, RETRY_BATCH } from "../src/delivery-log/search";
import { enqueueEvent } from "./helpers/outbox";
import { newSortableId } from "../src/ids";
import { createTestApp, type TestApp } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";

let t: TestApp;
let acmeKey: string;
let hookA: string;
let hookB: string;
let globexHook: string;

beforeAll(async () => {
  t = createTestApp();
  await t.request("PUT", "/api/v1/tenants/acme", {});
  await t.request("PUT", "/api/v1/tenants/globex", {});
  acmeKey = (await createApiKey(t.deps.store.apiKeys, { name: "acme", tenantId: "acme", canPublish: true })).key;
  const make = async (tenant: string, events: string[]) =>
    (await t.request("POST", "/api/v1/links/webhooks", { url: `https://${tenant}.example.com/in`, events, tenant_id: tenant })).body.data.id as string;
  hookA = await make("acme", ["link.clicked", "uptime.down"]);
  hookB = await make("acme", ["link.clicked"]);
  globexHook = await make("globex", ["link.clicked", "uptime.down"]);
});
afterAll(() => t.close());

const as = (key: string) => ({ auth: { bearer: key } });

/** Every page of a list, following next_cursor (bounded). */
async function walk(path: string, key?: string): Promise<any[]> {
  const seen: any[] = [];
  let cursor = "";
  for (let pages = 0; pages < 1000; pages++) {
    const res = await t.request("GET", `${path}${path.includes("?") ? "&" : "?"}limit=100${cursor}`, undefined, key ? as(key) : undefined);
    expect(res.status).toBe(200);
    seen.push(...res.body.data);
    if (!res.body.pagination.has_more) return seen;
    cursor = `&cursor=${res.body.pagination.next_cursor}`;
  }
  throw new Error("too many pages");
}

describe("GET /api/v1/events", () => {
  test("one tenant's events, newest first, by type and time; another tenant's never", async () => {
    const published: { id: string; type: string; created_at: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const type = i % 2 ? "uptime.down" : "link.clicked";
      const res = await t.request("POST", "/api/v1/events", { type, data: { i } }, as(acmeKey));
      published.push(res.body.data);
      await t.request("POST", "/api/v1/events", { type, data: { i }, tenant_id: "globex" });
      await Bun.sleep(2); // each event its own millisecond, so the time window below has edges
    }
    const all = await walk("/api/v1/events", acmeKey);
    expect(all.map((e) => e.id)).toEqual(published.map((e) => e.id).reverse());
    expect(new Set(all.map((e) => e.tenant_id))).toEqual(new Set(["acme"]));
    expect(Object.keys(all[0])).toEqual(["id", "type", "created_at", "tenant_id"]);

    const downs = await walk("/api/v1/events?type=uptime.down&tenant_id=acme");
    expect(downs.map((e) => e.id)).toEqual(published.filter((e) => e.type === "uptime.down").map((e) => e.id).reverse());
    const since = published[2]!.created_at;
    const until = published[4]!.created_at;
    const window = await walk(`/api/v1/events?since=${since}&until=${until}`, acmeKey);
    for (const e of window) expect(e.created_at >= since && e.created_at < until).toBe(true);
    expect(window.map((e) => e.id)).toContain(published[2]!.id);
    expect(window.map((e) => e.id)).not.toContain(published[4]!.id);

    // Pages of one walk each row once.
    const small: string[] = [];
    let cursor = "";
    for (let i = 0; i < 10; i++) {
      const page = await t.request("GET", `/api/v1/events?limit=4${cursor}`, undefined, as(acmeKey));
      small.push(...page.body.data.map((e: { id: string }) => e.id));
      if (!page.body.pagination.has_more) break;
      cursor = `&cursor=${page.body.pagination.next_cursor}`;
    }
    expect(small).toEqual(all.map((e) => e.id));
  });

  test("GET /api/v1/events/{id}: the exact payload and the event's deliveries; another tenant's is 404", async () => {
    const raw = '{"type":"link.clicked","id":"ord-77","data":{"n": 1, "nested": {"x": [1,2,3]}}}';
    const published = await t.request("POST", "/api/v1/events", undefined, { ...as(acmeKey), raw });
    expect(published.status).toBe(202);
    const res = await t.request("GET", "/api/v1/events/ord-77", undefined, as(acmeKey));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toEqual(["id", "type", "created_at", "tenant_id", "payload", "deliveries", "deliveries_total"]);
    const stored = t.deps.db.$client.prepare("select body from events where public_id = 'ord-77'").pluck().get() as string;
    // The payload is the stored body, byte for byte, inside the answer.
    expect(res.text).toContain(`"payload":${stored},`);
    expect(res.body.data.payload).toMatchObject({ id: "ord-77", type: "link.clicked", data: { n: 1, nested: { x: [1, 2, 3] } } });
    expect(res.body.data.deliveries.map((d: { webhook_id: string }) => d.webhook_id).sort()).toEqual([hookA, hookB].sort());
    expect(res.body.data.deliveries_total).toBe(2);
    const other = await t.request("GET", "/api/v1/events/ord-77?tenant_id=globex");
    const none = await t.request("GET", "/api/v1/events/ord-none?tenant_id=globex");
    expect(other.status).toBe(404);
    expect(other.text.replace("ord-77", "<id>")).toBe(none.text.replace("ord-none", "<id>"));
    // A platform key names the tenant; without it, the default tenant's.
    expect((await t.request("GET", "/api/v1/events/ord-77?tenant_id=acme")).status).toBe(200);
    expect((await t.request("GET", "/api/v1/events/ord-77")).status).toBe(404);
  });
});

describe("GET /api/v1/deliveries", () => {
  test("across a tenant's webhooks, by status, webhook, event type, event and time", async () => {
    const all = await walk("/api/v1/deliveries", acmeKey);
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((d) => d.webhook_id))).toEqual(new Set([hookA, hookB]));
    const byHook = await walk(`/api/v1/deliveries?webhook_id=${hookB}`, acmeKey);
    expect(byHook.map((d) => d.id)).toEqual(all.filter((d) => d.webhook_id === hookB).map((d) => d.id));
    const byType = await walk("/api/v1/deliveries?event_type=uptime.down", acmeKey);
    expect(byType.map((d) => d.id)).toEqual(all.filter((d) => d.event_type === "uptime.down").map((d) => d.id));
    const byEvent = await walk("/api/v1/deliveries?event_id=ord-77", acmeKey);
    expect(byEvent.map((d) => d.event_id)).toEqual(["ord-77", "ord-77"]);
    t.deps.db.$client.prepare("update deliveries set status = 'failed' where id = ?").run(all[1].id);
    const failed = await walk("/api/v1/deliveries?status=failed", acmeKey);
    expect(failed.map((d) => d.id)).toEqual([all[1].id]);
    // Another tenant's webhook is unknown to a tenant key.
    const foreign = await t.request("GET", `/api/v1/deliveries?webhook_id=${globexHook}`, undefined, as(acmeKey));
    expect(foreign.status).toBe(404);
    const bad = await t.request("GET", "/api/v1/deliveries?status=lost", undefined, as(acmeKey));
    expect(bad.status).toBe(400);
  });

  test(`a request looks at ${SEARCH_WINDOW} rows at most; walking the pages finds every rare match once`, async () => {
    const db = t.deps.db;
    await t.request("PUT", "/api/v1/tenants/bulk", {});
    const hook = (await t.request("POST", "/api/v1/links/webhooks", { url: "https://bulk.example.com/", events: ["link.clicked"], tenant_id: "bulk" })).body.data.id;
    const rare: string[] = [];
    const base = Date.now() - 3_600_000;
    db.$client.transaction(() => {
      for (let i = 0; i < 2.5 * SEARCH_WINDOW; i++) {
        const id = newSortableId("evt");
        const [delivery] = enqueueEvent(db, { id, type: i % 997 === 0 ? "uptime.down" : "link.clicked", body: "{}", createdAt: base + i, tenantId: "bulk" }, [
          { transport: "http", webhookId: hook },
        ]);
        if (i % 997 === 0) rare.push(delivery!);
      }
    })();
    const first = await t.request("GET", "/api/v1/deliveries?tenant_id=bulk&event_type=uptime.down&limit=100");
    expect(first.body.data.length).toBeLessThan(100);
    expect(first.body.pagination.has_more).toBe(true);
    const found = await walk("/api/v1/deliveries?tenant_id=bulk&event_type=uptime.down");
    expect(found.map((d) => d.id)).toEqual(rare.reverse());
  });
});

describe("POST /api/v1/deliveries/retry", () => {
  test(`makes matching failed deliveries due, ${RETRY_BATCH} a request, skipping disabled webhooks; the cursor goes on`, async () => {
    const db = t.deps.db;
    await t.request("PUT", "/api/v1/tenants/retry", {});
    const key = (await createApiKey(t.deps.store.apiKeys, { name: "retry", tenantId: "retry", canPublish: true })).key;
    const on = (await t.request("POST", "/api/v1/links/webhooks", { url: "https://r.example.com/on", events: ["link.clicked"] }, as(key))).body.data.id;
    const off = (await t.request("POST", "/api/v1/links/webhooks", { url: "https://r.example.com/off", events: ["link.clicked"] }, as(key))).body.data.id;
    db.$client.transaction(() => {
      for (let i = 0; i < RETRY_BATCH + 100; i++) {
        enqueueEvent(db, { id: newSortableId("evt"), type: "link.clicked", body: "{}", createdAt: Date.now() - 60_000 + i, tenantId: "retry" }, [
          { transport: "http", webhookId: on },
          { transport: "http", webhookId: off },
        ]);
      }
    })();
    db.$client.prepare("update deliveries set status = 'failed', next_attempt_at = 0 where tenant_id = 'retry'").run();
    await t.request("PATCH", `/api/v1/links/webhooks/${off}`, { active: false }, as(key));
    // globex's failed deliveries are not acme's to retry.
    db.$client.prepare("update deliveries set status = 'failed' where tenant_id = 'globex'").run();

    let retried = 0;
    let skipped = 0;
    let cursor: string | undefined;
    for (let calls = 0; calls < 20; calls++) {
      const res = await t.request("POST", "/api/v1/deliveries/retry", cursor ? { cursor } : {}, as(key));
      expect(res.status).toBe(202);
      expect(res.body.data.retried + res.body.data.skipped).toBeLessThanOrEqual(RETRY_BATCH);
      retried += res.body.data.retried;
      skipped += res.body.data.skipped;
      if (!res.body.data.has_more) break;
      cursor = res.body.data.next_cursor;
    }
    expect([retried, skipped]).toEqual([RETRY_BATCH + 100, RETRY_BATCH + 100]);
    const states = db.$client.prepare("select webhook_id, status, count(*) n from deliveries where tenant_id = 'retry' group by 1, 2 order by 1, 2").all();
    expect(states).toEqual([
      { webhook_id: on, status: "pending", n: RETRY_BATCH + 100 },
      { webhook_id: off, status: "failed", n: RETRY_BATCH + 100 },
    ].sort((a, b) => a.webhook_id.localeCompare(b.webhook_id)));
    expect(db.$client.prepare("select count(*) from deliveries where tenant_id = 'globex' and status != 'failed'").pluck().get()).toBe(0);
  });
});

describe("alerts of a traffic source (surface B)", () => {
  test("listed newest first and read one by one with the Discord message and its delivery's attempts", async () => {
    const fake = startReceiver(() => Response.json({ id: "1" }));
    const app = createDeliveryTestApp({ DISCORD_API_BASE: fake.url.replace(/\/hook$/, "") });
    try {
      await app.request("POST", "/api/v1/users", { email: "ops@alerts.example", password: "a long password" });
      const login = await app.request("POST", "/auth/login", { email: "ops@alerts.example", password: "a long password" }, { auth: "none" });
      const session = { auth: { bearer: login.body.token as string } };
      const source = (await app.request("POST", "/traffic-sources", { name: "Checkout" }, session)).body;
      await app.request("POST", `/webhooks/${source.id}`, { type: "discord", level: "fatal", value: "https://discord.com/api/webhooks/1/tok" }, session);
      const fatal = (await app.request("POST", `/traffic-sources/${source.id}/events`, { level: "fatal", title: "Down", message: "All fail" }, session)).body;
      const info = (await app.request("POST", `/traffic-sources/${source.id}/events`, { level: "info", title: "FYI", message: "No hook" }, session)).body;
      await waitFor(() => fake.received.length >= 1, 5000, "the Discord message");

      const list = await app.request("GET", `/traffic-sources/${source.id}/alerts`, undefined, session);
      expect(list.status).toBe(200);
      expect(list.body.map((a: { id: string }) => a.id)).toEqual([info.id, fatal.id]);
      expect(list.body[1]).toEqual({ id: fatal.id, trafficSourceId: source.id, level: "fatal", title: "Down", createdAt: fatal.createdAt, deliveries: 1 });

      const one = await waitFor(async () => {
        const res = await app.request("GET", `/traffic-sources/${source.id}/alerts/${fatal.id}`, undefined, session);
        return res.body.delivery?.status === "delivered" ? res : undefined;
      }, 5000, "the delivered alert");
      expect(one.body.discordMessage).toEqual(JSON.parse(fake.received[0]!.body));
      expect(one.body.delivery.attemptLog).toHaveLength(1);
      expect(one.body.delivery.attemptLog[0].statusCode).toBe(200);
      const quiet = await app.request("GET", `/traffic-sources/${source.id}/alerts/${info.id}`, undefined, session);
      expect([quiet.body.deliveries, quiet.body.delivery]).toEqual([0, null]);

      await app.request("POST", "/api/v1/users", { email: "other@alerts.example", password: "a long password" });
      const other = await app.request("POST", "/auth/login", { email: "other@alerts.example", password: "a long password" }, { auth: "none" });
      const foreign = await app.request("GET", `/traffic-sources/${source.id}/alerts/${fatal.id}`, undefined, { auth: { bearer: other.body.token } });
      expect(foreign.status).toBe(403);
      expect((await app.request("GET", `/traffic-sources/${source.id}/alerts/${crypto.randomUUID()}`, undefined, session)).status).toBe(404);
      expect((await app.request("GET", `/traffic-sources/${source.id}/alerts?limit=0&before=x`, undefined, session)).body.details.map((d: { field: string }) => d.field)).toEqual(["limit", "before"]);
    } finally {
      fake.stop();
      await app.shutdown();
    }
  });
});
