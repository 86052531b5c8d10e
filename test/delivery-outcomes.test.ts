// End to end through the real loop and real loopback receivers: what each receiver answer
// does to the delivery (docs/architecture.md).
import { afterAll, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { createDeliveryLoop } from "../src/delivery/loop";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

/** A second loop over the same app, started by the test when it is ready. */
function secondLoop(app: DeliveryTestApp) {
  return createDeliveryLoop({ config: app.deps.config, store: app.deps.store, logger: app.deps.logger });
}

const apps: DeliveryTestApp[] = [];
const receivers: Receiver[] = [];
function setup(env: Record<string, string> = {}, respond?: Parameters<typeof startReceiver>[0]) {
  const app = createDeliveryTestApp(env);
  const rx = startReceiver(respond);
  apps.push(app);
  receivers.push(rx);
  return { app, rx };
}
afterAll(async () => {
  for (const rx of receivers) rx.stop();
  for (const app of apps) await app.shutdown();
});

async function deliveryOf(app: DeliveryTestApp, webhookId: string) {
  const list = await app.request("GET", `/api/v1/links/webhooks/${webhookId}/deliveries`);
  return (await app.request("GET", `/api/v1/deliveries/${list.body.data[0].id}`)).body.data;
}

async function settled(app: DeliveryTestApp, webhookId: string, status: string) {
  return waitFor(async () => {
    const d = await deliveryOf(app, webhookId);
    return d.status === status ? d : undefined;
  }, 5000, `delivery ${status}`);
}

describe("delivery outcomes", () => {
  test("a delivery verifies with the standardwebhooks reference library", async () => {
    const { app, rx } = setup();
    const { id, secret } = await app.createWebhook(rx.url);
    const published = await app.publish("link.clicked", { link_id: "lnk_9", clicks: 3 });
    await waitFor(() => rx.received.length === 1);
    const req = rx.received[0]!;
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toMatch(/^hookrelay\/\d+\.\d+\.\d+/);
    expect(req.headers["webhook-id"]).toBe(published.body.data.id);
    expect(Math.abs(Number(req.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(10);
    const payload = new Webhook(secret).verify(req.body, req.headers);
    expect(payload).toEqual({ id: published.body.data.id, type: "link.clicked", created_at: published.body.data.created_at, data: { link_id: "lnk_9", clicks: 3 } });
    expect(Object.keys(JSON.parse(req.body))).toEqual(["id", "type", "created_at", "data"]);
    // Tampering is detected, so the check above is not vacuous.
    expect(() => new Webhook(secret).verify(req.body.replace("lnk_9", "lnk_8"), req.headers)).toThrow();
    const d = await settled(app, id, "delivered");
    expect(d).toMatchObject({ attempts: 1, last_status_code: 204, last_error: null });
    expect(d.delivered_at).not.toBeNull();
  });

  test("failing twice then succeeding: delivered on attempt 3, 3 attempts logged, same webhook-id each time", async () => {
    const { app, rx } = setup({}, (_req, i) => (i < 2 ? new Response("boom ".repeat(2000), { status: 500 }) : new Response("ok")));
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "delivered");
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    expect(d.attempts).toBe(3);
    expect(d.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(d.attempt_log[0].error).toBe("HTTP 500");
    expect(Buffer.byteLength(d.attempt_log[0].response_body)).toBe(4096);
    expect(d.attempt_log[2]).toMatchObject({ response_body: "ok", error: null });
    for (const a of d.attempt_log) expect(a.duration_ms).toBeGreaterThanOrEqual(0);
  });

  test("retries exhausted: failed, visible, and retryable by hand", async () => {
    let healthy = false;
    const { app, rx } = setup({ DELIVERY_RETRY_SCHEDULE: "0.02" }, () => new Response(null, { status: healthy ? 200 : 503 }));
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const failed = await settled(app, id, "failed");
    expect(failed).toMatchObject({ attempts: 2, last_status_code: 503, last_error: "HTTP 503", next_attempt_at: null });
    const listed = await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries?status=failed`);
    expect(listed.body.data.map((x: { id: string }) => x.id)).toEqual([failed.id]);
    healthy = true;
    const retry = await app.request("POST", `/api/v1/deliveries/${failed.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.data.status).toBe("pending");
    const done = await settled(app, id, "delivered");
    expect(done.attempts).toBe(3);
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
  });

  test("410 Gone fails the delivery and disables the webhook", async () => {
    const { app, rx } = setup({}, () => new Response("gone", { status: 410 }));
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "failed");
    expect(d.attempts).toBe(1);
    expect(rx.received).toHaveLength(1);
    const webhook = (await app.request("GET", `/api/v1/links/webhooks/${id}`)).body.data;
    expect(webhook.active).toBe(false);
    expect(webhook.disabled_reason).toContain("410");
    // A disabled webhook is no longer a target.
    expect((await app.publish("link.clicked", {})).body.data.deliveries).toBe(0);
  });

  test("Retry-After is honoured within [scheduled, 2 × scheduled]", async () => {
    // Scheduled 0.75 s ±20 % is 0.6–0.9 s, so 1 s lies inside [scheduled, 2 × scheduled] whatever the jitter.
    const { app, rx } = setup({ DELIVERY_RETRY_SCHEDULE: "0.75" }, (_r, i) =>
      i === 0 ? new Response(null, { status: 429, headers: { "retry-after": "1" } }) : new Response(null, { status: 200 }),
    );
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    await waitFor(() => rx.received.length === 1);
    const pending = await waitFor(async () => {
      const d = await deliveryOf(app, id);
      return d.status === "pending" ? d : undefined;
    });
    const first = pending.attempt_log[0];
    const wait = Date.parse(pending.next_attempt_at) - Date.parse(first.attempted_at) - first.duration_ms;
    expect(wait).toBe(1000);
    await settled(app, id, "delivered");
    expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(990);
  });

  test("a Retry-After longer than twice the scheduled delay is cut to it", async () => {
    const { app, rx } = setup({ DELIVERY_RETRY_SCHEDULE: "0.2" }, (_r, i) =>
      i === 0 ? new Response(null, { status: 503, headers: { "retry-after": "3600" } }) : new Response(null, { status: 200 }),
    );
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const pending = await waitFor(async () => {
      const d = await deliveryOf(app, id);
      return d.status === "pending" && d.attempts === 1 ? d : undefined;
    });
    const first = pending.attempt_log[0];
    const wait = Date.parse(pending.next_attempt_at) - Date.parse(first.attempted_at) - first.duration_ms;
    expect(wait).toBeGreaterThanOrEqual(320);
    expect(wait).toBeLessThanOrEqual(480);
    await settled(app, id, "delivered");
  });

  test("a receiver slower than DELIVERY_TIMEOUT_MS times out and is retried", async () => {
    const { app, rx } = setup({ DELIVERY_TIMEOUT_MS: "150" }, async (_r, i) => {
      if (i === 0) await Bun.sleep(600);
      return new Response(null, { status: 200 });
    });
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "delivered");
    expect(d.attempts).toBe(2);
    expect(d.attempt_log[0]).toMatchObject({ status_code: null, error: "Timed out after 150 ms" });
  });

  test("redirects are not followed: a 3xx fails the attempt", async () => {
    const target = startReceiver();
    receivers.push(target);
    const { app, rx } = setup({ DELIVERY_RETRY_SCHEDULE: "" }, () => new Response(null, { status: 302, headers: { location: target.url } }));
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "failed");
    expect(d.attempt_log).toHaveLength(1);
    expect(d.attempt_log[0].status_code).toBe(302);
    expect(d.attempt_log[0].error).toContain("not followed");
    expect(target.received).toHaveLength(0);
  });

  test("a refused connection is logged and retried", async () => {
    const gone = startReceiver();
    const url = gone.url;
    gone.stop();
    const { app } = setup({ DELIVERY_RETRY_SCHEDULE: "0.02" });
    const { id } = await app.createWebhook(url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "failed");
    expect(d.attempts).toBe(2);
    for (const a of d.attempt_log) {
      expect(a.status_code).toBeNull();
      expect(a.error.length).toBeGreaterThan(0);
    }
  });

  test("no success for DELIVERY_DISABLE_AFTER_HOURS plus an exhausted delivery disables the webhook", async () => {
    const { app } = setup({ DELIVERY_RETRY_SCHEDULE: "", DELIVERY_DISABLE_AFTER_HOURS: "1" }, () => new Response(null, { status: 500 }));
    const rx = receivers[receivers.length - 1]!;
    const silent = await app.createWebhook(rx.url);
    const fresh = await app.createWebhook(rx.url);
    // The silent one last succeeded two hours ago; the fresh one was just created.
    app.deps.db.$client.prepare("UPDATE webhooks SET last_success_at = ? WHERE id = ?").run(Date.now() - 2 * 3_600_000, silent.id);
    await app.publish("link.clicked", {});
    await settled(app, silent.id, "failed");
    await settled(app, fresh.id, "failed");
    const s = (await app.request("GET", `/api/v1/links/webhooks/${silent.id}`)).body.data;
    const f = (await app.request("GET", `/api/v1/links/webhooks/${fresh.id}`)).body.data;
    expect(s.active).toBe(false);
    expect(s.disabled_reason).toBe("No successful delivery for 1 hours");
    expect(f.active).toBe(true);
  });

  test("a streamed (chunked, endless) response body is logged up to 4 KiB and not read further", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    // Never ends: were the whole body read, the attempt would time out instead of succeeding.
    const { app, rx } = setup({ DELIVERY_TIMEOUT_MS: "1000" }, () =>
      new Response(
        new ReadableStream({
          async pull(controller) {
            await Bun.sleep(1);
            controller.enqueue(chunk);
          },
        }),
        { status: 200 },
      ),
    );
    const { id } = await app.createWebhook(rx.url);
    await app.publish("link.clicked", {});
    const d = await settled(app, id, "delivered");
    expect(d.attempt_log[0].response_body).toBe("x".repeat(4096));
  });

  test("a webhook disabled after the event was queued is not called; the delivery fails with the reason", async () => {
    const { app, rx } = setup();
    const { id } = await app.createWebhook(rx.url);
    // The app's own loop is stopped so the event waits until the webhook is disabled.
    await app.loop.stop(0);
    const paused = secondLoop(app);
    await app.publish("link.clicked", {});
    await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: false });
    paused.start();
    const d = await settled(app, id, "failed");
    expect(d).toMatchObject({ attempts: 0, last_error: "Webhook is disabled", attempt_log: [] });
    expect(rx.received).toHaveLength(0);
    await paused.stop(100);
  });
});
