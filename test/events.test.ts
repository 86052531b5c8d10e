// POST /api/v1/events and GET /api/v1/event-types: shapes, validation, idempotent replays.
// No delivery loop here: these assert what is committed to the outbox.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EVENT_TYPES } from "../src/events/catalogue";
import { createTestApp, type TestApp } from "./helpers/app";

let app: TestApp;
const count = (table: string) => (app.deps.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  app = createTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
  for (const events of [["link.clicked"], ["link.clicked", "link.created"], ["uptime.down"]]) {
    const res = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/hook", events });
    expect(res.status).toBe(201);
  }
  // An inactive subscriber gets nothing.
  const off = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/off", events: ["link.clicked"] });
  await app.request("PATCH", `/api/v1/links/webhooks/${off.body.data.id}`, { active: false });
});
afterAll(() => app.close());

describe("POST /api/v1/events", () => {
  test("202 with the event, one delivery per active subscribed webhook, body stored once", async () => {
    const wakes: number[] = [];
    app.deps.wakeDelivery = () => wakes.push(1);
    const res = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: { link_id: "lnk_1", n: 2 } });
    expect(res.status).toBe(202);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body.data)).toEqual(["id", "type", "created_at", "deliveries"]);
    expect(res.body.data).toMatchObject({ type: "link.clicked", deliveries: 2 });
    expect(res.body.data.id).toMatch(/^evt_[0-9A-Za-z]{22}$/);
    expect(res.body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(wakes).toHaveLength(1);
    const stored = app.deps.db.$client.prepare("SELECT body FROM events WHERE id = ?").get(res.body.data.id) as { body: string };
    expect(stored.body).toBe(
      JSON.stringify({ id: res.body.data.id, type: "link.clicked", created_at: res.body.data.created_at, data: { link_id: "lnk_1", n: 2 } }),
    );
    const rows = app.deps.db.$client.prepare("SELECT status, attempts FROM deliveries WHERE event_id = ?").all(res.body.data.id);
    expect(rows).toEqual([{ status: "pending", attempts: 0 }, { status: "pending", attempts: 0 }]);
  });

  test("an event nobody subscribes to is stored with zero deliveries", async () => {
    const res = await app.request("POST", "/api/v1/events", { type: "link.deleted", data: {} });
    expect(res.status).toBe(202);
    expect(res.body.data.deliveries).toBe(0);
  });

  test("the same Idempotency-Key answers the original event and enqueues nothing", async () => {
    const headers = { "Idempotency-Key": "order-1234-clicked" };
    const first = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: { a: 1 } }, { headers });
    const before = [count("events"), count("deliveries")];
    const again = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: { a: 1 } }, { headers });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect([count("events"), count("deliveries")]).toEqual(before);
  });

  test("a publisher-chosen id becomes the event id and dedupes too", async () => {
    const first = await app.request("POST", "/api/v1/events", { id: "evt_client_42", type: "uptime.down", data: { url: "x" } });
    expect(first.status).toBe(202);
    expect(first.body.data).toMatchObject({ id: "evt_client_42", type: "uptime.down", deliveries: 1 });
    const before = count("deliveries");
    const again = await app.request("POST", "/api/v1/events", { id: "evt_client_42", type: "uptime.down", data: { url: "x" } });
    expect(again.body).toEqual(first.body);
    expect(count("deliveries")).toBe(before);
  });

  test("bad input is a 400 naming the field, and stores nothing", async () => {
    const before = [count("events"), count("deliveries")];
    const cases: [unknown, string][] = [
      [{ type: "link.exploded", data: {} }, "type"],
      [{ type: "webhook.test", data: {} }, "type"],
      [{ data: {} }, "type"],
      [{ type: "link.clicked" }, "data"],
      [{ type: "link.clicked", data: [1, 2] }, "data"],
      [{ type: "link.clicked", data: {}, id: "has spaces" }, "id"],
      [{ type: "link.clicked", data: {}, id: "" }, "id"],
    ];
    for (const [body, field] of cases) {
      const res = await app.request("POST", "/api/v1/events", body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: "Bad Request", code: 400 });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const longKey = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: {} }, { headers: { "idempotency-key": "k".repeat(256) } });
    expect(longKey.status).toBe(400);
    expect(longKey.body.details).toEqual([{ field: "Idempotency-Key", message: "Must be 1 to 255 characters" }]);
    expect([count("events"), count("deliveries")]).toEqual(before);
  });

  test("requires an API key", async () => {
    const res = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: {} }, { auth: "none" });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "Unauthorized", message: "Authentication required. Please provide a valid API token", code: 401 });
  });
});

describe("GET /api/v1/event-types", () => {
  test("lists the catalogue", async () => {
    const res = await app.request("GET", "/api/v1/event-types", undefined, { auth: "x-api-key" });
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { name: string }) => e.name)).toEqual([...EVENT_TYPES]);
    for (const e of res.body.data) expect(e.description.length).toBeGreaterThan(0);
  });

  test("requires an API key", async () => {
    expect((await app.request("GET", "/api/v1/event-types", undefined, { auth: "none" })).status).toBe(401);
  });
});
