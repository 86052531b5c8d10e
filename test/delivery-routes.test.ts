// Delivery log, retry, recover, secret rotation and test events, through the real loop.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let app: DeliveryTestApp;
let rx: Receiver;
let failing = false;

beforeAll(() => {
  app = createDeliveryTestApp({ DELIVERY_RETRY_SCHEDULE: "" });
  rx = startReceiver(() => new Response(null, { status: failing ? 500 : 200 }));
});
afterAll(async () => {
  rx.stop();
  await app.shutdown();
});

async function allSettled(webhookId: string, expected: number) {
  return waitFor(async () => {
    const res = await app.request("GET", `/api/v1/links/webhooks/${webhookId}/deliveries?limit=100`);
    const rows = res.body.data as { status: string }[];
    return rows.length === expected && rows.every((d) => d.status === "delivered" || d.status === "failed") ? rows : undefined;
  });
}

describe("GET /api/v1/links/webhooks/:id/deliveries", () => {
  test("newest first, cursor pagination, status filter", async () => {
    const { id } = await app.createWebhook(rx.url, ["link.created"]);
    const published: string[] = [];
    for (let i = 0; i < 5; i++) published.push((await app.publish("link.created", { i })).body.data.id);
    await allSettled(id, 5);
    const first = await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.pagination.has_more).toBe(true);
    const seen = [...first.body.data];
    let cursor = first.body.pagination.next_cursor;
    while (cursor) {
      const next = await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?limit=2&cursor=${cursor}`);
      seen.push(...next.body.data);
      cursor = next.body.pagination.next_cursor;
    }
    // Newest first; rows of the same millisecond come in id order, so compare times, then the set.
    const times = seen.map((d) => Date.parse(d.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen.map((d) => d.event_id).sort()).toEqual([...published].sort());
    expect(Object.keys(seen[0])).toEqual([
      "id", "event_id", "event_type", "webhook_id", "status", "attempts", "next_attempt_at",
      "last_status_code", "last_error", "created_at", "updated_at", "delivered_at",
    ]);
    const failed = await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?status=failed`);
    expect(failed.body.data).toEqual([]);
  });

  test("retry: 409 while a lease is live, allowed once it has run out (its holder died)", async () => {
    const { id } = await app.createWebhook(rx.url, ["uptime.up"]);
    await app.publish("uptime.up", {});
    const row = () =>
      app.deps.db.$client.prepare("SELECT id, status FROM deliveries WHERE webhook_id = ?").get(id) as { id: string; status: string };
    await waitFor(() => row().status === "delivered");
    const deliveryId = row().id;
    const lease = app.deps.db.$client.prepare("UPDATE deliveries SET status = 'leased', lease_expires_at = ?, next_attempt_at = ? WHERE id = ?");
    const far = Date.now() + 3_600_000;
    lease.run(far, far, deliveryId);
    expect((await app.request("POST", `/api/v1/deliveries/${deliveryId}/retry`)).status).toBe(409);
    lease.run(Date.now() - 1_000, far, deliveryId);
    const retried = await app.request("POST", `/api/v1/deliveries/${deliveryId}/retry`);
    expect(retried.status).toBe(202);
    await waitFor(() => row().status === "delivered");
  });

  test("400 on bad query, 404 on unknown webhook or delivery", async () => {
    const { id } = await app.createWebhook(rx.url);
    expect((await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?status=lost`)).body.details[0].field).toBe("status");
    expect((await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?limit=0`)).status).toBe(400);
    expect((await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?cursor=nope`)).status).toBe(400);
    expect((await app.request("GET", `/api/v1/links/webhooks/whk_missing/deliveries`)).status).toBe(404);
    expect((await app.request("GET", `/api/v1/deliveries/dlv_missing`)).status).toBe(404);
    expect((await app.request("POST", `/api/v1/deliveries/dlv_missing/retry`)).status).toBe(404);
    expect((await app.request("GET", `/api/v1/deliveries/dlv_missing`, undefined, { auth: "none" })).status).toBe(401);
  });
});

describe("POST /api/v1/links/webhooks/:id/recover", () => {
  test("re-enqueues failed deliveries since a time, and only those", async () => {
    const { id } = await app.createWebhook(rx.url, ["uptime.up"]);
    failing = true;
    const old = await app.publish("uptime.up", { n: "old" });
    await allSettled(id, 1);
    await Bun.sleep(5);
    const since = new Date().toISOString();
    await Bun.sleep(5);
    for (let i = 0; i < 3; i++) await app.publish("uptime.up", { n: i });
    await allSettled(id, 4);
    failing = false;
    const res = await app.request("POST", `/api/v1/links/webhooks/${id}/recover`, { since });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ success: true, data: { recovered: 3 } });
    const rows = await waitFor(async () => {
      const r = await allSettled(id, 4);
      return r.filter((d) => d.status === "delivered").length === 3 ? r : undefined;
    });
    const stillFailed = rows.filter((d) => d.status === "failed") as unknown as { event_id: string }[];
    expect(stillFailed.map((d) => d.event_id)).toEqual([old.body.data.id]);
  });

  test("validates since, 404 unknown webhook, 409 disabled webhook", async () => {
    const { id } = await app.createWebhook(rx.url);
    for (const since of ["yesterday", new Date(Date.now() + 3_600_000).toISOString()]) {
      const res = await app.request("POST", `/api/v1/links/webhooks/${id}/recover`, { since });
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe("since");
    }
    expect((await app.request("POST", `/api/v1/links/webhooks/${id}/recover`, {})).status).toBe(400);
    expect((await app.request("POST", `/api/v1/links/webhooks/whk_missing/recover`, { since: "2024-01-01T00:00:00Z" })).status).toBe(404);
    await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: false });
    expect((await app.request("POST", `/api/v1/links/webhooks/${id}/recover`, { since: "2024-01-01T00:00:00Z" })).status).toBe(409);
  });
});

describe("POST /api/v1/links/webhooks/:id/secret/rotate", () => {
  test("the new secret signs at once and the old one keeps signing beside it", async () => {
    const { id, secret: oldSecret } = await app.createWebhook(rx.url, ["link.updated"]);
    const res = await app.request("POST", `/api/v1/links/webhooks/${id}/secret/rotate`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toEqual(["id", "rotated_at", "previous_secret_expires_at"]);
    expect(res.text).not.toContain("whsec_");
    const { previous_secret_expires_at } = res.body.data;
    const current = (await app.request("GET", `/api/v1/links/webhooks/${id}/secret`)).body.data;
    const newSecret = current.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const overlap = Date.parse(previous_secret_expires_at) - Date.now();
    expect(overlap).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3_600_000);
    expect(current.previous_secret_expires_at).toBe(previous_secret_expires_at);

    const before = rx.received.length;
    await app.publish("link.updated", {});
    await waitFor(() => rx.received.length > before);
    const req = rx.received[rx.received.length - 1]!;
    expect(req.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const s of [newSecret, oldSecret]) expect(() => new Webhook(s).verify(req.body, req.headers)).not.toThrow();

    // Once the overlap is over, only the new secret signs.
    app.deps.db.$client.prepare("UPDATE webhooks SET previous_secret_expires_at = ? WHERE id = ?").run(Date.now() - 1, id);
    await app.publish("link.updated", {});
    await waitFor(() => rx.received.length > before + 1);
    const later = rx.received[rx.received.length - 1]!;
    expect(later.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(oldSecret).verify(later.body, later.headers)).toThrow();
    expect(() => new Webhook(newSecret).verify(later.body, later.headers)).not.toThrow();
  });

  test("404 for an unknown webhook", async () => {
    expect((await app.request("POST", `/api/v1/links/webhooks/whk_missing/secret/rotate`)).status).toBe(404);
  });
});

describe("POST /api/v1/links/webhooks/:id/test", () => {
  test("sends webhook.test to that webhook only, even if it does not subscribe to it", async () => {
    const target = await app.createWebhook(rx.url, ["link.deleted"]);
    const other = await app.createWebhook(rx.url, ["link.deleted"]);
    const before = rx.received.length;
    const res = await app.request("POST", `/api/v1/links/webhooks/${target.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ type: "webhook.test", deliveries: 1 });
    const delivered = await waitFor(async () => {
      const d = (await app.request("GET", `/api/v1/deliveries/${res.body.data.delivery_id}`)).body.data;
      return d.status === "delivered" ? d : undefined;
    });
    expect(delivered.webhook_id).toBe(target.id);
    expect(rx.received.length).toBe(before + 1);
    const body = JSON.parse(rx.received[rx.received.length - 1]!.body);
    expect(body).toMatchObject({ id: res.body.data.id, type: "webhook.test", data: { webhook_id: target.id } });
    expect((await app.request("GET", `/api/v1/links/webhooks/${other.id}/deliveries`)).body.data).toEqual([]);
  });

  test("404 unknown, 409 disabled", async () => {
    expect((await app.request("POST", `/api/v1/links/webhooks/whk_missing/test`)).status).toBe(404);
    const { id } = await app.createWebhook(rx.url);
    await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: false });
    expect((await app.request("POST", `/api/v1/links/webhooks/${id}/test`)).status).toBe(409);
  });
});
