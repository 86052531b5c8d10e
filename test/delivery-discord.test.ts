// Traffic-source alerts through the real delivery loop: a 'discord' delivery row is sent by the
// Discord transport, Discord's 429 retry_after is honoured, and the attempts are logged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDeliveryTestApp, waitFor, type DeliveryTestApp } from "./helpers/delivery";
import { startFakeDiscord, type FakeDiscord } from "./helpers/fake-discord";
import { signIn } from "./helpers/sessions";

let discord: FakeDiscord;
let app: DeliveryTestApp;

beforeAll(() => {
  discord = startFakeDiscord();
  app = createDeliveryTestApp({ DISCORD_API_BASE: discord.url, DISCORD_BOT_TOKEN: "bot-token-for-tests", DELIVERY_RETRY_SCHEDULE: "0.1,0.1" });
});
afterAll(async () => {
  discord.stop();
  await app.shutdown();
});

test("an alert is delivered to Discord by the loop, after a 429", async () => {
  const user = await signIn(app, "ops@example.com");
  const source = (await app.request("POST", "/traffic-sources", { name: "Checkout" }, { auth: user.auth })).body.id;
  const hook = await app.request("POST", `/webhooks/${source}`, { type: "discord", level: "fatal", value: "https://discord.com/api/webhooks/123456789/tok-en" }, { auth: user.auth });
  expect(hook.status).toBe(201);
  discord.respondWith({ status: 429, body: JSON.stringify({ retry_after: 0.15, global: false }), headers: { "content-type": "application/json" } });
  const raised = await app.request("POST", `/traffic-sources/${source}/events`, { level: "fatal", title: "Down", message: "All requests fail" }, { auth: user.auth });
  expect(raised.status).toBe(202);

  const row = await waitFor(() => {
    const r = app.deps.db.$client
      .prepare("SELECT id, status, attempts FROM deliveries WHERE event_id = ?")
      .get(raised.body.id) as { id: string; status: string; attempts: number } | undefined;
    return r?.status === "delivered" ? r : undefined;
  });
  expect(row.attempts).toBe(2);
  expect(discord.requests).toHaveLength(2);
  expect(discord.requests[1]!.path).toStartWith("/webhooks/123456789/tok-en");
  expect(JSON.parse(discord.requests[1]!.body).embeds[0].title).toBe("Down");
  const detail = (await app.request("GET", `/api/v1/deliveries/${row.id}`)).body.data;
  expect(detail.webhook_id).toBeNull();
  expect(detail.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([429, 204]);
  const logged = detail.attempt_log.map((a: { attempted_at: string }) => Date.parse(a.attempted_at));
  // Scheduled 0.1 s ±20 %, Discord asked for 0.15 s: the wait is within [scheduled, 2 × scheduled] and ≥ what was asked.
  expect(logged[1] - logged[0]).toBeGreaterThanOrEqual(150);
});

// Discord answers 401 (bad token), 403 (no access) or 404 (unknown webhook) for a webhook URL that
// was deleted or revoked: the alert fails at once with that reason, never retried, since Discord
// bans addresses that keep sending what it refuses.
for (const status of [401, 403, 404]) {
  test(`a Discord webhook answering ${status}: the delivery fails at once, saying the webhook is gone`, async () => {
    const user = await signIn(app, `ops-${status}@example.com`);
    const source = (await app.request("POST", "/traffic-sources", { name: `Source ${status}` }, { auth: user.auth })).body.id;
    const hookPath = `/webhooks/${status}000/tok-${status}`;
    const hook = await app.request("POST", `/webhooks/${source}`, { type: "discord", level: "warning", value: `https://discord.com/api${hookPath}` }, { auth: user.auth });
    expect(hook.status).toBe(201);
    discord.respondWith({ status, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }), headers: { "content-type": "application/json" } });
    const raised = await app.request("POST", `/traffic-sources/${source}/events`, { level: "warning", title: "Slow", message: "p99 2 s" }, { auth: user.auth });
    expect(raised.status).toBe(202);
    const row = await waitFor(() => {
      const r = app.deps.db.$client
        .prepare("SELECT id, status, attempts, last_status_code AS code, last_error AS error FROM deliveries WHERE event_id = ?")
        .get(raised.body.id) as { id: string; status: string; attempts: number; code: number; error: string } | undefined;
      return r?.status === "failed" ? r : undefined;
    });
    const reason = `Discord answered ${status}: the webhook was deleted or its token is no longer valid`;
    expect(row).toMatchObject({ attempts: 1, code: status, error: reason });
    const detail = (await app.request("GET", `/api/v1/deliveries/${row.id}`)).body.data;
    expect(detail.attempt_log.map((a: { status_code: number; error: string }) => [a.status_code, a.error])).toEqual([[status, reason]]);
    // Past the retry schedule (0.1 s): nothing was sent again.
    await Bun.sleep(300);
    expect(discord.requests.filter((r) => r.path.startsWith(hookPath))).toHaveLength(1);
  });
}
