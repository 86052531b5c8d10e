// Both API surfaces walked with the generated TypeScript client (clients/typescript/) against
// a real server on 127.0.0.1 with a running delivery loop: what the OpenAPI document promises, the
// server does, down to the signed request a receiver gets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { createHookrelayClient, type components, type HookrelayClient } from "../clients/typescript/index";
import { ADMIN_KEY } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";
import { startFakeDiscord, type FakeDiscord } from "./helpers/fake-discord";

let t: DeliveryTestApp;
let receiver: Receiver;
let discord: FakeDiscord;
let origin: string;
let api: HookrelayClient;

beforeAll(() => {
  receiver = startReceiver();
  discord = startFakeDiscord();
  t = createDeliveryTestApp({ DISCORD_API_BASE: discord.url });
  const server = t.app.listen({ port: 0, hostname: "127.0.0.1" }).server!;
  origin = `http://127.0.0.1:${server.port}`;
  api = createHookrelayClient({ baseUrl: origin, token: ADMIN_KEY });
});
afterAll(async () => {
  await t.app.stop(true);
  await t.shutdown();
  receiver.stop();
  discord.stop();
});

type Delivery = components["schemas"]["DeliveryWithAttempts"];

async function deliveredOnce(id: string): Promise<Delivery> {
  return waitFor(async () => {
    const { data } = await api.GET("/api/v1/deliveries/{id}", { params: { path: { id } } });
    return data?.data.status === "delivered" ? data.data : undefined;
  }, 10_000, `delivery ${id}`);
}

describe("surface A with the client", () => {
  test("create, list, get, patch, secret, rotate, test, publish, deliveries, retry", async () => {
    const created = await api.POST("/api/v1/links/webhooks", {
      body: { url: receiver.url, events: ["link.clicked"], metadata: { team: "growth" } },
    });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("x-request-id")).toBeString();
    const webhook = created.data!.data;
    expect(Object.keys(webhook)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);

    const list = await api.GET("/api/v1/links/webhooks", { params: { query: { limit: 10, event: "link.clicked", active: true } } });
    expect(list.data!.data.map((w) => w.id)).toContain(webhook.id);
    expect(list.data!.pagination.has_more).toBe(false);

    const got = await api.GET("/api/v1/links/webhooks/{id}", { params: { path: { id: webhook.id } } });
    expect(got.data!.data).toMatchObject({ id: webhook.id, disabled_reason: null });

    const patched = await api.PATCH("/api/v1/links/webhooks/{id}", {
      params: { path: { id: webhook.id } },
      body: { events: ["link.clicked", "uptime.down"] },
    });
    expect(patched.data!.data.events).toEqual(["link.clicked", "uptime.down"]);

    const secret = await api.GET("/api/v1/links/webhooks/{id}/secret", { params: { path: { id: webhook.id } } });
    expect(secret.data!.data.secret).toStartWith("whsec_");
    const rotated = await api.POST("/api/v1/links/webhooks/{id}/secret/rotate", { params: { path: { id: webhook.id } } });
    expect(rotated.data!.data.id).toBe(webhook.id);
    const newSecret = (await api.GET("/api/v1/links/webhooks/{id}/secret", { params: { path: { id: webhook.id } } })).data!.data;
    expect(newSecret.secret).not.toBe(secret.data!.data.secret);
    expect(newSecret.previous_secret_expires_at).toBeString();

    const testEvent = await api.POST("/api/v1/links/webhooks/{id}/test", { params: { path: { id: webhook.id } } });
    expect(testEvent.response.status).toBe(202);
    expect((await deliveredOnce(testEvent.data!.data.delivery_id)).event_type).toBe("webhook.test");

    const published = await api.POST("/api/v1/events", {
      params: { header: { "Idempotency-Key": "client-e2e-1" } },
      body: { type: "link.clicked", data: { link_id: "lnk_42", clicks: 3 } },
    });
    expect(published.response.status).toBe(202);
    const event = published.data!.data;
    expect(event.deliveries).toBe(1);
    const replay = await api.POST("/api/v1/events", {
      params: { header: { "Idempotency-Key": "client-e2e-1" } },
      body: { type: "link.clicked", data: { link_id: "lnk_42", clicks: 3 } },
    });
    expect(replay.response.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.data!.data.id).toBe(event.id);

    // The receiver got the documented envelope, signed with the new secret (WebhookPayload).
    const arrived = await waitFor(() => receiver.received.find((r) => r.headers["webhook-id"] === event.id), 10_000, "the event");
    const payload = new StandardWebhook(newSecret.secret).verify(arrived.body, arrived.headers) as components["schemas"]["WebhookPayload"];
    expect(payload).toEqual({ id: event.id, type: "link.clicked", created_at: event.created_at, data: { link_id: "lnk_42", clicks: 3 } });

    const deliveries = await api.GET("/api/v1/links/webhooks/{id}/deliveries", {
      params: { path: { id: webhook.id }, query: { status: "delivered", limit: 1 } },
    });
    expect(deliveries.data!.data).toHaveLength(1);
    expect(deliveries.data!.pagination.has_more).toBe(true);
    const newest = deliveries.data!.data[0]!;
    expect(newest.event_id).toBe(event.id);
    const delivered = await deliveredOnce(newest.id);
    expect(delivered.attempt_log[0]!.status_code).toBe(204);

    const retried = await api.POST("/api/v1/deliveries/{id}/retry", { params: { path: { id: newest.id } } });
    expect(retried.response.status).toBe(202);
    await waitFor(() => receiver.received.filter((r) => r.headers["webhook-id"] === event.id).length === 2, 10_000, "the retry");
    expect((await waitFor(async () => {
      const d = (await api.GET("/api/v1/deliveries/{id}", { params: { path: { id: newest.id } } })).data!.data;
      return d.attempts === 2 && d.status === "delivered" ? d : undefined;
    }, 10_000, "the second attempt")).attempt_log).toHaveLength(2);

    const types = await api.GET("/api/v1/event-types");
    expect(types.data!.data.map((e) => e.name)).toContain("link.clicked");
  }, 30_000);

  test("errors arrive as the documented envelope, typed", async () => {
    const missing = await api.GET("/api/v1/links/webhooks/{id}", { params: { path: { id: "whk_missing" } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toEqual({ error: "Not Found", message: "No webhook with id whk_missing", code: 404 });
    const anonymous = createHookrelayClient({ baseUrl: origin });
    const denied = await anonymous.GET("/api/v1/event-types");
    expect(denied.error?.code).toBe(401);
    const invalid = await api.GET("/api/v1/links/webhooks", { params: { query: { limit: 0 } } });
    expect(invalid.error?.details?.[0]?.field).toBe("limit");
  });
});

describe("surface B with the client", () => {
  test("user created with the API key, login, traffic source, its webhook, an alert delivered to Discord", async () => {
    const user = await api.POST("/api/v1/users", { body: { email: "ops@example.com", password: "a long password", name: "Ops" } });
    expect(user.response.status).toBe(201);
    expect(user.data!.data.email).toBe("ops@example.com");

    const anonymous = createHookrelayClient({ baseUrl: origin });
    const login = await anonymous.POST("/auth/login", { body: { email: "ops@example.com", password: "a long password" } });
    expect(login.response.status).toBe(200);
    const session = createHookrelayClient({ baseUrl: origin, token: login.data!.token });
    expect((await session.GET("/auth/me")).data!.id).toBe(user.data!.data.id);

    const source = await session.POST("/traffic-sources", { body: { name: "Checkout API" } });
    expect(source.response.status).toBe(201);
    const sourceId = source.data!.id;
    expect((await session.GET("/traffic-sources")).data!.map((s) => s.id)).toEqual([sourceId]);
    expect((await session.GET("/traffic-sources/{id}", { params: { path: { id: sourceId } } })).data!.name).toBe("Checkout API");

    const hook = await session.POST("/webhooks/{trafficSourceId}", {
      params: { path: { trafficSourceId: sourceId } },
      body: { type: "discord", level: "fatal", value: "https://discord.com/api/webhooks/1234567890/tok-en" },
    });
    expect(hook.response.status).toBe(201);
    expect(Object.keys(hook.data!)).toEqual(["id", "type", "level", "value", "trafficSourceId", "createdAt", "updatedAt"]);
    const again = await session.POST("/webhooks/{trafficSourceId}", {
      params: { path: { trafficSourceId: sourceId } },
      body: { type: "discord", level: "fatal", value: "123456789" },
    });
    expect(again.response.status).toBe(409);
    expect(again.error?.message).toBe("A webhook for this severity level already exists on this traffic source");
    const hooks = await session.GET("/webhooks/{trafficSourceId}", { params: { path: { trafficSourceId: sourceId } } });
    expect(hooks.data!.map((h) => h.level)).toEqual(["fatal"]);

    const alert = await session.POST("/traffic-sources/{id}/events", {
      params: { path: { id: sourceId } },
      body: { level: "fatal", title: "Checkout down", message: "All requests fail", fields: [{ name: "region", value: "eu-west-1", inline: true }] },
    });
    expect(alert.response.status).toBe(202);
    expect(alert.data!.deliveries).toBe(1);
    const sent = await waitFor(() => discord.requests.find((r) => r.path === "/webhooks/1234567890/tok-en"), 10_000, "the Discord message");
    expect(JSON.parse(sent.body).embeds[0]).toMatchObject({ title: "Checkout down", description: "All requests fail" });

    const moved = await session.PATCH("/webhooks/{trafficSourceId}/{id}", {
      params: { path: { trafficSourceId: sourceId, id: hook.data!.id } },
      body: { level: "warning" },
    });
    expect(moved.data!.level).toBe("warning");
    const removed = await session.DELETE("/webhooks/{trafficSourceId}/{id}", { params: { path: { trafficSourceId: sourceId, id: hook.data!.id } } });
    expect(removed.response.status).toBe(204);

    expect((await session.POST("/auth/logout")).response.status).toBe(204);
    expect((await session.GET("/auth/me")).response.status).toBe(401);
  }, 30_000);
});
