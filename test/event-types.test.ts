// Own event types: created and changed by PUT, validated on publish against their JSON Schema
// (every problem named under `data.…`), subscribable while not archived; archiving keeps existing
// subscribers delivering. The built-in link.* and uptime.* types cannot be changed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApiKey } from "../src/auth/api-keys";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let t: DeliveryTestApp;
let receiver: Receiver;

const ORDER_SCHEMA = {
  type: "object",
  required: ["order_id", "total"],
  properties: {
    order_id: { type: "string", pattern: "^ord_" },
    total: { type: "number", minimum: 0 },
    email: { type: "string", format: "email" },
    items: { type: "array", items: { type: "object", required: ["sku"], properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } } } },
  },
};

beforeAll(() => {
  t = createDeliveryTestApp();
  receiver = startReceiver();
});
afterAll(async () => {
  receiver.stop();
  await t.shutdown();
});

describe("PUT /api/v1/event-types/{name}", () => {
  test("creates (201), updates the fields given (200), and the catalogue lists it after the built-in types", async () => {
    const created = await t.request("PUT", "/api/v1/event-types/order.created", { description: "An order was placed.", schema: ORDER_SCHEMA });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ name: "order.created", description: "An order was placed.", built_in: false, archived: false, schema: ORDER_SCHEMA });
    const updated = await t.request("PUT", "/api/v1/event-types/order.created", { description: "An order was placed (v2)." });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ description: "An order was placed (v2).", schema: ORDER_SCHEMA });

    const catalogue = (await t.request("GET", "/api/v1/event-types")).body.data as { name: string; built_in: boolean }[];
    expect(catalogue.slice(0, 8).map((e) => e.name)).toEqual([
      "link.created", "link.updated", "link.deleted", "link.clicked", "uptime.down", "uptime.up", "webhook.disabled", "delivery.exhausted",
    ]);
    expect(catalogue.slice(0, 8).every((e) => e.built_in)).toBe(true);
    expect(catalogue.map((e) => e.name)).toContain("order.created");
  });

  test("built-in types cannot be changed (409); hookrelay's namespaces, bad names and bad schemas are 400 and store nothing", async () => {
    const builtIn = await t.request("PUT", "/api/v1/event-types/link.clicked", { description: "mine now" });
    expect([builtIn.status, builtIn.body.message]).toEqual([409, "link.clicked is a built-in event type and cannot be changed"]);
    // The operational events are built in too.
    expect((await t.request("PUT", "/api/v1/event-types/delivery.exhausted", {})).status).toBe(409);
    const count = () => t.deps.db.$client.prepare("select count(*) from event_types").pluck().get();
    const before = count();
    const reserved = await t.request("PUT", "/api/v1/event-types/webhook.paused", { schema: { type: "nonsense" } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.details.map((d: { field: string }) => d.field)).toEqual(["schema", "name"]);
    expect(reserved.body.details[0].message).toStartWith("Must be a valid JSON Schema:");
    expect((await t.request("PUT", "/api/v1/event-types/order..created", {})).status).toBe(400);
    expect((await t.request("PUT", "/api/v1/event-types/order.x", { schema: [1] })).status).toBe(400);
    expect(count()).toBe(before);
  });

  test("only platform keys may change the catalogue; every key may read it", async () => {
    await t.request("PUT", "/api/v1/tenants/acme", {});
    const key = (await createApiKey(t.deps.store.apiKeys, { name: "acme", tenantId: "acme", canPublish: true })).key;
    expect((await t.request("PUT", "/api/v1/event-types/order.refunded", {}, { auth: { bearer: key } })).status).toBe(403);
    expect((await t.request("GET", "/api/v1/event-types", undefined, { auth: { bearer: key } })).status).toBe(200);
  });
});

describe("publishing own types", () => {
  test("data that satisfies the schema is accepted and delivered exactly as published", async () => {
    await t.createWebhook(receiver.url, ["order.created"]);
    const raw = '{"type":"order.created","data":{"order_id":"ord_1","total":12.50,"big":1234567890123456789}}';
    const res = await t.request("POST", "/api/v1/events", undefined, { raw });
    expect([res.status, res.body.data.deliveries]).toEqual([202, 1]);
    await waitFor(() => receiver.received.length >= 1, 5000, "the order event");
    expect(receiver.received[0]!.body).toEndWith(',"data":{"order_id":"ord_1","total":12.50,"big":1234567890123456789}}');
  });

  test("every problem with data is listed under data.…, with the request's other invalid fields, and nothing is stored", async () => {
    const events = () => t.deps.db.$client.prepare("select count(*) from events").pluck().get();
    const before = events();
    const res = await t.request("POST", "/api/v1/events", {
      type: "order.created",
      data: { order_id: "x1", email: "not-an-email", items: [{ qty: 0 }, { sku: "a", qty: 2 }] },
      id: "",
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([
      { field: "data.total", message: "Is required" },
      { field: "data.order_id", message: 'Must match pattern "^ord_"' },
      { field: "data.email", message: 'Must match format "email"' },
      { field: "data.items[0].sku", message: "Is required" },
      { field: "data.items[0].qty", message: "Must be >= 1" },
      { field: "id", message: "Must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'" },
    ]);
    expect(events()).toBe(before);
  });

  test("an unknown type names the catalogue, own types included", async () => {
    const res = await t.request("POST", "/api/v1/events", { type: "order.shipped", data: {} });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([
      { field: "type", message: "Must be one of link.created, link.updated, link.deleted, link.clicked, uptime.down, uptime.up, order.created" },
    ]);
  });

  test("a type without a schema takes any data object; removing a schema (null) stops validation", async () => {
    await t.request("PUT", "/api/v1/event-types/invoice.paid", { description: "Paid." });
    expect((await t.request("POST", "/api/v1/events", { type: "invoice.paid", data: { anything: [1, "two"] } })).status).toBe(202);
    await t.request("PUT", "/api/v1/event-types/invoice.paid", { schema: { type: "object", required: ["invoice"] } });
    expect((await t.request("POST", "/api/v1/events", { type: "invoice.paid", data: {} })).status).toBe(400);
    await t.request("PUT", "/api/v1/event-types/invoice.paid", { schema: null });
    expect((await t.request("POST", "/api/v1/events", { type: "invoice.paid", data: {} })).status).toBe(202);
  });
});

describe("subscribing and archiving", () => {
  test("webhooks may subscribe only to known, non-archived types; archiving keeps existing subscriptions delivering", async () => {
    await t.request("PUT", "/api/v1/event-types/cart.abandoned", { description: "A cart was left." });
    const rx = startReceiver();
    try {
      const subscribed = await t.createWebhook(rx.url, ["cart.abandoned", "link.clicked"]);
      expect((await t.request("PUT", "/api/v1/event-types/cart.abandoned", { archived: true })).body.data.archived).toBe(true);

      const refused = await t.request("POST", "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked", "cart.abandoned", "nope.nothing"] });
      expect(refused.status).toBe(400);
      expect(refused.body.details).toEqual([
        { field: "events[1]", message: "Is archived: it keeps its subscribers but takes no new ones" },
        { field: "events[2]", message: "Must be one of link.created, link.updated, link.deleted, link.clicked, uptime.down, uptime.up, webhook.disabled, delivery.exhausted, invoice.paid, order.created" },
      ]);
      const patched = await t.request("PATCH", `/api/v1/links/webhooks/${subscribed.id}`, { events: ["cart.abandoned"] });
      expect(patched.status).toBe(400);

      // Still published, still delivered to the webhook that subscribed before.
      const published = await t.request("POST", "/api/v1/events", { type: "cart.abandoned", data: { cart: 1 } });
      expect([published.status, published.body.data.deliveries]).toEqual([202, 1]);
      await waitFor(() => rx.received.length >= 1, 5000, "the archived type's delivery");
      expect(JSON.parse(rx.received[0]!.body).type).toBe("cart.abandoned");

      // Un-archived, it takes subscriptions again; lists may filter by it either way.
      await t.request("PUT", "/api/v1/event-types/cart.abandoned", { archived: false });
      expect((await t.request("POST", "/api/v1/links/webhooks", { url: rx.url, events: ["cart.abandoned"] })).status).toBe(201);
      expect((await t.request("GET", "/api/v1/links/webhooks?event=cart.abandoned")).body.data).toHaveLength(2);
      expect((await t.request("GET", "/api/v1/links/webhooks?event=cart.nothing")).status).toBe(400);
    } finally {
      rx.stop();
    }
  });
});
