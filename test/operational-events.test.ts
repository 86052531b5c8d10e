// Operational events through the real delivery loop: a webhook disabled automatically and a
// delivery that fails for good are announced to the tenant's webhooks subscribed to
// `webhook.disabled` / `delivery.exhausted`, signed like any event; a disable by hand is not.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let app: DeliveryTestApp;
let gone: Receiver;
let failing: Receiver;
let ops: Receiver;
let opsWebhookId: string;

const OPERATIONAL = ["webhook.disabled", "delivery.exhausted"];

beforeAll(async () => {
  app = createDeliveryTestApp({ DELIVERY_RETRY_SCHEDULE: "0.05,0.05", DELIVERY_DISABLE_AFTER_HOURS: "1" });
  gone = startReceiver(() => new Response("bye", { status: 410 }));
  failing = startReceiver(() => new Response("boom", { status: 500 }));
  ops = startReceiver();
  opsWebhookId = (await app.createWebhook(ops.url, OPERATIONAL)).id;
});
afterAll(async () => {
  for (const r of [gone, failing, ops]) r.stop();
  await app.shutdown();
});

const opsEvents = () => ops.received.map((r) => JSON.parse(r.body));
/** A webhook's operational events in the order they were written (ids increase; arrivals may not, sent concurrently). */
const eventsFor = (webhookId: string) => opsEvents().filter((e) => e.data.webhook_id === webhookId).sort((a, b) => (a.id < b.id ? -1 : 1));

describe("operational events", () => {
  test("the catalogue lists them as built-in types; publishing one through the API is refused", async () => {
    const catalogue = (await app.request("GET", "/api/v1/event-types")).body.data;
    expect(catalogue.filter((t: { name: string }) => OPERATIONAL.includes(t.name)).map((t: { name: string; built_in: boolean }) => [t.name, t.built_in])).toEqual([
      ["webhook.disabled", true],
      ["delivery.exhausted", true],
    ]);
    const forged = await app.publish("webhook.disabled", { webhook_id: "whk_x" });
    expect(forged.status).toBe(400);
    expect(forged.body.details).toEqual([{ field: "type", message: expect.stringContaining("published by hookrelay itself") }]);
  });

  test("410 Gone: the subscriber hears delivery.exhausted and webhook.disabled, with the webhook, reason, status and ids", async () => {
    const { id } = await app.createWebhook(gone.url, ["link.clicked"]);
    const published = await app.publish("link.clicked", { n: 1 });
    const events = await waitFor(() => (eventsFor(id).length === 2 ? eventsFor(id) : undefined), 5000, "two operational events");
    expect(events.map((e) => e.type)).toEqual(["delivery.exhausted", "webhook.disabled"]);
    const delivery = (await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries`)).body.data[0];
    expect(events[0].data).toEqual({
      delivery_id: delivery.id, event_id: published.body.data.id, event_type: "link.clicked", webhook_id: id, url: gone.url,
      reason: "endpoint_gone", attempts: 1, last_status_code: 410, last_error: "HTTP 410", failed_at: events[0].created_at, tenant_id: "default",
    });
    expect(events[1].data).toMatchObject({ webhook_id: id, url: gone.url, reason: "endpoint_gone", disabled_reason: "The endpoint answered 410 Gone", delivery_id: delivery.id, last_status_code: 410 });
    // Delivered like any event: the webhook-id is the event id, and the event is in the log.
    const received = ops.received.find((r) => JSON.parse(r.body).id === events[1].id)!;
    expect(received.headers["webhook-id"]).toBe(events[1].id);
    expect(received.headers["webhook-signature"]).toStartWith("v1,");
    const logged = await app.request("GET", `/api/v1/events/${events[1].id}`);
    expect(logged.status).toBe(200);
    expect((await app.request("GET", `/api/v1/links/webhooks/${id}`)).body.data).toMatchObject({ active: false, disabled_reason: "The endpoint answered 410 Gone" });
  });

  test("retries exhausted: delivery.exhausted; the silent webhook is disabled and says so too", async () => {
    const { id } = await app.createWebhook(failing.url, ["link.created"]);
    // Silent for longer than DELIVERY_DISABLE_AFTER_HOURS (1 h): created two hours ago, never a success.
    app.deps.db.$client.prepare("UPDATE webhooks SET created_at = ?, last_success_at = NULL WHERE id = ?").run(Date.now() - 2 * 3_600_000, id);
    await app.publish("link.created", { n: 2 });
    const events = await waitFor(() => (eventsFor(id).length === 2 ? eventsFor(id) : undefined), 5000, "exhausted and disabled");
    expect(events.map((e) => [e.type, e.data.reason])).toEqual([
      ["delivery.exhausted", "retries_exhausted"],
      ["webhook.disabled", "no_success"],
    ]);
    expect(events[0].data).toMatchObject({ attempts: 3, last_status_code: 500, last_error: "HTTP 500" });
    expect(events[1].data.disabled_reason).toBe("No successful delivery for 1 hours");
  });

  test("disabled by hand (PATCH active: false): nothing is announced", async () => {
    const { id } = await app.createWebhook(failing.url, ["link.deleted"]);
    expect((await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: false })).status).toBe(200);
    // Something announced after the PATCH would be delivered before this marker event's own announcement.
    const marker = await app.createWebhook(gone.url, ["uptime.down"]);
    await app.publish("uptime.down", { n: 3 });
    await waitFor(() => eventsFor(marker.id).length === 2, 5000, "the marker's events");
    expect(eventsFor(id)).toEqual([]);
  });

  test("another tenant's webhooks hear nothing of this tenant's", async () => {
    expect((await app.request("PUT", "/api/v1/tenants/acme", {})).status).toBeLessThan(300);
    const theirs = startReceiver();
    try {
      const created = await app.request("POST", "/api/v1/links/webhooks", { url: theirs.url, events: OPERATIONAL, tenant_id: "acme" });
      expect(created.status).toBe(201);
      const { id } = await app.createWebhook(gone.url, ["uptime.up"]);
      await app.publish("uptime.up", { n: 4 });
      await waitFor(() => eventsFor(id).length === 2, 5000, "default's events");
      await Bun.sleep(100);
      expect(theirs.received).toEqual([]);
    } finally {
      theirs.stop();
    }
  });

  test("the operations webhook itself only ever received operational events", () => {
    expect(new Set(opsEvents().map((e) => e.type))).toEqual(new Set(OPERATIONAL));
    expect(opsWebhookId).toStartWith("whk_");
  });
});
