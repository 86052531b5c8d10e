// POST /traffic-sources/:id/events → outbox, and the Discord transport against a local fake
// Discord (DISCORD_API_BASE points at it). The delivery loop is not involved: the transport
// is called with the job the loop would hand it (the delivery row and its event body).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config";
import { deliveries, events } from "../src/db/schema";
import { EMBED_LIMITS, LEVEL_COLOURS } from "../src/delivery/transports/discord-message";
import { DiscordBuckets, redactedUrl, sendDiscordAlert } from "../src/delivery/transports/discord";
import { isSuccess, MAX_LOGGED_RESPONSE_BYTES } from "../src/delivery/transport";
import { createTestApp, type TestApp } from "./helpers/app";
import { startFakeDiscord, type FakeDiscord } from "./helpers/fake-discord";
import { signIn, type SignedInUser } from "./helpers/sessions";

const BOT_TOKEN = "bot-token-for-tests";
const HOOK_ID = "1234567890123456789";
const HOOK_TOKEN = "AbC-dEf_tok3n";
const HOOK_URL = `https://discord.com/api/webhooks/${HOOK_ID}/${HOOK_TOKEN}`;
const CHANNEL_ID = "112233445566778899";

let discord: FakeDiscord;
let app: TestApp;
let alice: SignedInUser;
let bob: SignedInUser;
let sourceId: string;
const hookIds: Record<string, string> = {};

beforeAll(async () => {
  discord = startFakeDiscord();
  app = createTestApp({ DISCORD_API_BASE: discord.url, DISCORD_BOT_TOKEN: BOT_TOKEN });
  alice = await signIn(app, "alice@example.com");
  bob = await signIn(app, "bob@example.com");
  sourceId = (await app.request("POST", "/traffic-sources", { name: "Checkout API" }, { auth: alice.auth })).body.id;
  for (const [level, value] of [["fatal", HOOK_URL], ["warning", CHANNEL_ID]]) {
    const res = await app.request("POST", `/webhooks/${sourceId}`, { type: "discord", level, value }, { auth: alice.auth });
    expect(res.status).toBe(201);
    hookIds[level!] = res.body.id;
  }
});
afterAll(() => {
  app.close();
  discord.stop();
});

const raise = (body: unknown, user: SignedInUser | "none" = alice, id = sourceId) =>
  app.request("POST", `/traffic-sources/${id}/events`, body, { auth: user === "none" ? "none" : user.auth });

/** The job the delivery loop would build from the delivery row of an event. */
function jobFor(eventId: string) {
  const row = app.deps.db
    .select({ trafficSourceWebhookId: deliveries.trafficSourceWebhookId, eventBody: events.body })
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .where(eq(deliveries.eventId, eventId))
    .get()!;
  return { trafficSourceWebhookId: row.trafficSourceWebhookId!, eventBody: row.eventBody };
}

const deps = () => ({ config: app.deps.config, trafficSources: app.deps.store.trafficSources });

describe("POST /traffic-sources/:id/events", () => {
  test("202; one event and one pending 'discord' delivery for the level's webhook; the loop is woken", async () => {
    let wakes = 0;
    const counting = buildApp({ ...app.deps, wakeDelivery: () => wakes++ });
    const res = await counting.handle(
      new Request(`http://localhost/traffic-sources/${sourceId}/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
        body: JSON.stringify({ level: "fatal", title: "Checkout down", message: "All requests fail" }),
      }),
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["id", "trafficSourceId", "level", "deliveries", "createdAt"]);
    expect(body).toMatchObject({ trafficSourceId: sourceId, level: "fatal", deliveries: 1 });
    expect(wakes).toBe(1);
    const event = app.deps.db.select().from(events).where(eq(events.id, body.id as string)).get()!;
    expect(event.type).toBe("alert.fatal");
    const rows = app.deps.db.select().from(deliveries).where(eq(deliveries.eventId, event.id)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ transport: "discord", trafficSourceWebhookId: hookIds.fatal, webhookId: null, status: "pending", attempts: 0 });
  });

  test("the event body is the Discord message: embed coloured by level, mentions off", async () => {
    const res = await raise({
      level: "warning",
      title: "Error rate 7%",
      message: "@everyone checkout 5xx above threshold",
      fields: [{ name: "Region", value: "eu-west-1", inline: true }, { name: "Since", value: "14:30 UTC" }],
    });
    expect(res.status).toBe(202);
    const message = JSON.parse(jobFor(res.body.id).eventBody);
    expect(message).toEqual({
      embeds: [
        {
          title: "Error rate 7%",
          description: "@everyone checkout 5xx above threshold",
          color: LEVEL_COLOURS.warning,
          fields: [{ name: "Region", value: "eu-west-1", inline: true }, { name: "Since", value: "14:30 UTC" }],
          footer: { text: "WARNING · Checkout API" },
          timestamp: res.body.createdAt,
        },
      ],
      allowed_mentions: { parse: [] },
    });
    expect([LEVEL_COLOURS.fatal, LEVEL_COLOURS.warning, LEVEL_COLOURS.info]).toEqual([0xe74c3c, 0xf39c12, 0x3498db]);
  });

  test("long content is cut to Discord's embed limits (6000 in all)", async () => {
    const fields = Array.from({ length: 25 }, (_, i) => ({ name: `n${i}`.padEnd(300, "x"), value: "v".repeat(2000) }));
    const res = await raise({ level: "fatal", title: "T".repeat(1000), message: "M".repeat(10_000), fields });
    expect(res.status).toBe(202);
    const embed = JSON.parse(jobFor(res.body.id).eventBody).embeds[0];
    expect(embed.title).toHaveLength(EMBED_LIMITS.title);
    expect(embed.title.endsWith("…")).toBe(true);
    expect(embed.description).toHaveLength(EMBED_LIMITS.description);
    for (const f of embed.fields) {
      expect(f.name.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
      expect(f.value.length).toBeGreaterThan(0);
    }
    const total =
      embed.title.length + embed.description.length + embed.footer.text.length +
      embed.fields.reduce((n: number, f: { name: string; value: string }) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(EMBED_LIMITS.total);
    expect(embed.fields.length).toBeGreaterThan(0);
  });

  test("a level without a webhook: 202 with deliveries 0, the event is recorded, nothing is queued", async () => {
    const res = await raise({ level: "info", title: "Deploy finished", message: "v2.3.1" });
    expect(res.status).toBe(202);
    expect(res.body.deliveries).toBe(0);
    expect(app.deps.db.select().from(events).where(eq(events.id, res.body.id)).get()).toBeDefined();
    expect(app.deps.db.select().from(deliveries).where(eq(deliveries.eventId, res.body.id)).all()).toHaveLength(0);
  });

  test("400 bad body (nothing stored), 400 no token, 401 bad token, 403 other user, 404 unknown source", async () => {
    const before = app.deps.db.select().from(events).all().length;
    const bad = await raise({ level: "panic", title: "", message: "x", fields: Array(26).fill({ name: "a", value: "b" }) });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(["fields", "level", "title"]);
    const blank = await raise({ level: "info", title: "t", message: "  \n ", fields: [{ name: "a", value: " " }] });
    expect(blank.status).toBe(400);
    expect(blank.body.details).toEqual([
      { field: "message", message: "Must be a non-blank string (cut to 4096 characters)" },
      { field: "fields[0].value", message: "Must be a non-blank string (cut to 1024 characters)" },
    ]);
    expect((await raise({ level: "info", title: "t", message: "m" }, "none")).status).toBe(400);
    const badToken = await app.request("POST", `/traffic-sources/${sourceId}/events`, { level: "info", title: "t", message: "m" }, { auth: { bearer: "x" } });
    expect(badToken.status).toBe(401);
    const other = await raise({ level: "fatal", title: "t", message: "m" }, bob);
    expect(other.status).toBe(403);
    expect(other.body.error).toBe("Forbidden");
    const unknown = await raise({ level: "fatal", title: "t", message: "m" }, alice, crypto.randomUUID());
    expect(unknown.status).toBe(404);
    expect(app.deps.db.select().from(events).all().length).toBe(before);
  });
});

describe("sendDiscordAlert against a fake Discord", () => {
  test("webhook URL: POST {DISCORD_API_BASE}/webhooks/{id}/{token} with the message JSON, no bot token", async () => {
    const res = await raise({ level: "fatal", title: "Checkout down", message: "All requests fail" });
    const job = jobFor(res.body.id);
    discord.requests.length = 0;
    const outcome = await sendDiscordAlert(deps(), job, 2000);
    expect(isSuccess(outcome)).toBe(true);
    expect(outcome.statusCode).toBe(204);
    expect(discord.requests).toHaveLength(1);
    const req = discord.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/webhooks/${HOOK_ID}/${HOOK_TOKEN}`);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toStartWith("DiscordBot (");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toBe(job.eventBody);
    const sent = JSON.parse(req.body);
    expect(sent.allowed_mentions).toEqual({ parse: [] });
    expect(sent.embeds[0]).toMatchObject({ title: "Checkout down", description: "All requests fail", color: LEVEL_COLOURS.fatal });
  });

  test("channel id: POST {DISCORD_API_BASE}/channels/{id}/messages with Authorization: Bot <token>", async () => {
    const res = await raise({ level: "warning", title: "Slow", message: "p99 2.1 s" });
    discord.requests.length = 0;
    discord.respondWith({ status: 200, body: JSON.stringify({ id: "1", channel_id: CHANNEL_ID }), headers: { "content-type": "application/json" } });
    const outcome = await sendDiscordAlert(deps(), jobFor(res.body.id), 2000);
    expect(isSuccess(outcome)).toBe(true);
    expect(outcome.responseBody).toContain(CHANNEL_ID);
    const req = discord.requests[0]!;
    expect(req.path).toBe(`/channels/${CHANNEL_ID}/messages`);
    expect(req.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    expect(JSON.parse(req.body).embeds[0].color).toBe(LEVEL_COLOURS.warning);
  });

  test("the webhook token is masked wherever a fetch error quotes the URL", () => {
    // Bun's fetch errors may quote the URL (seen for some TLS failures); a webhook URL holds its token.
    expect(redactedUrl(`${discord.url}/webhooks/${HOOK_ID}/${HOOK_TOKEN}`)).toBe(`${discord.url}/webhooks/${HOOK_ID}/***`);
    expect(redactedUrl(`${discord.url}/webhooks/${HOOK_ID}/${HOOK_TOKEN}?wait=true`)).toBe(`${discord.url}/webhooks/${HOOK_ID}/***?wait=true`);
    expect(redactedUrl(`${discord.url}/channels/${CHANNEL_ID}/messages`)).toBe(`${discord.url}/channels/${CHANNEL_ID}/messages`);
  });

  test("channel id without DISCORD_BOT_TOKEN: a failed attempt with a clear reason, nothing sent", async () => {
    const res = await raise({ level: "warning", title: "Slow", message: "p99 2.1 s" });
    discord.requests.length = 0;
    const noBot = { config: loadConfig({ DATABASE_PATH: ":memory:", DISCORD_API_BASE: discord.url }), trafficSources: app.deps.store.trafficSources };
    const outcome = await sendDiscordAlert(noBot, jobFor(res.body.id), 2000);
    expect(isSuccess(outcome)).toBe(false);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toContain("DISCORD_BOT_TOKEN is not set");
    expect(outcome.goneReason).toBeUndefined();
    expect(discord.requests).toHaveLength(0);
  });

  test("429 with retry_after: retryAfterMs from the JSON; the next attempt succeeds", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.requests.length = 0;
    discord.respondWith({
      status: 429,
      body: JSON.stringify({ message: "You are being rate limited.", retry_after: 0.345, global: false }),
      headers: { "content-type": "application/json", "retry-after": "1" },
    });
    const limited = await sendDiscordAlert(deps(), job, 2000);
    expect(limited.statusCode).toBe(429);
    expect(isSuccess(limited)).toBe(false);
    expect(limited.retryAfterMs).toBe(345);
    expect(limited.responseBody).toContain("rate limited");
    const retried = await sendDiscordAlert(deps(), job, 2000);
    expect(isSuccess(retried)).toBe(true);
    expect(discord.requests.map((r) => r.body)).toEqual([job.eventBody, job.eventBody]);
  });

  test("429 without a JSON body falls back to Retry-After", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 429, body: "slow down", headers: { "retry-after": "2" } });
    expect((await sendDiscordAlert(deps(), job, 2000)).retryAfterMs).toBe(2000);
  });

  test("404 or 401 for a webhook URL: the webhook is gone; for a channel it is an ordinary failure", async () => {
    const fatalJob = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) });
    const gone = await sendDiscordAlert(deps(), fatalJob, 2000);
    expect(gone.statusCode).toBe(404);
    expect(gone.goneReason).toContain("404");
    discord.respondWith({ status: 401, body: JSON.stringify({ message: "Invalid Webhook Token", code: 50027 }) });
    expect((await sendDiscordAlert(deps(), fatalJob, 2000)).goneReason).toContain("401");
    const channelJob = jobFor((await raise({ level: "warning", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 404, body: JSON.stringify({ message: "Unknown Channel", code: 10003 }) });
    const missing = await sendDiscordAlert(deps(), channelJob, 2000);
    expect(missing.statusCode).toBe(404);
    expect(missing.goneReason).toBeUndefined();
  });

  test("403 for a webhook URL is gone too: Discord bans addresses that keep sending what it refuses", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 403, body: JSON.stringify({ message: "Missing Access", code: 50001 }) });
    const gone = await sendDiscordAlert(deps(), job, 2000);
    expect([gone.statusCode, gone.goneReason]).toEqual([403, "Discord answered 403: the webhook was deleted or its token is no longer valid"]);
  });

  test("X-RateLimit-Remaining 0: the next message to that webhook waits for the reset instead of earning a 429", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    const buckets = new DiscordBuckets();
    discord.requests.length = 0;
    discord.respondWith({ status: 204, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "0.4" } });
    const first = await sendDiscordAlert({ ...deps(), discordBuckets: buckets }, job, 2000);
    const resetAt = Date.now() + 400;
    expect(first.statusCode).toBe(204);
    const second = await sendDiscordAlert({ ...deps(), discordBuckets: buckets }, job, 2000);
    expect(second.statusCode).toBe(204);
    expect(discord.requests).toHaveLength(2);
    // Sent after the bucket reset (a lower bound: the wait happened), not at once.
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt - 20);
    // A reset further away than half the timeout is not waited for: the attempt ends with a retry after it.
    discord.respondWith({ status: 204, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "30" } });
    await sendDiscordAlert({ ...deps(), discordBuckets: buckets }, job, 2000);
    const deferred = await sendDiscordAlert({ ...deps(), discordBuckets: buckets }, job, 2000);
    expect(deferred.statusCode).toBeNull();
    expect(deferred.retryAfterMs).toBeGreaterThan(29_000);
    expect(discord.requests).toHaveLength(3);
  });

  test("at most 4 KiB of the response body; redirects are not followed", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 500, body: "e".repeat(20_000) });
    const big = await sendDiscordAlert(deps(), job, 2000);
    expect(big.statusCode).toBe(500);
    expect(big.responseBody).toHaveLength(MAX_LOGGED_RESPONSE_BYTES);
    discord.respondWith({ status: 500, body: "é".repeat(5000) }); // 2 bytes each: the limit falls on a boundary
    discord.respondWith({ status: 500, body: "x" + "é".repeat(5000) }); // …and here inside a character
    expect((await sendDiscordAlert(deps(), job, 2000)).responseBody).toBe("é".repeat(2048));
    expect((await sendDiscordAlert(deps(), job, 2000)).responseBody).toBe("x" + "é".repeat(2047));
    discord.requests.length = 0;
    discord.respondWith({ status: 302, headers: { location: `${discord.url}/elsewhere` } });
    const redirect = await sendDiscordAlert(deps(), job, 2000);
    expect(redirect.statusCode).toBe(302);
    expect(isSuccess(redirect)).toBe(false);
    expect(discord.requests.map((r) => r.path)).toEqual([`/webhooks/${HOOK_ID}/${HOOK_TOKEN}`]);
  });

  test("a Discord that never answers: the attempt times out", async () => {
    const job = jobFor((await raise({ level: "fatal", title: "t", message: "m" })).body.id);
    discord.respondWith({ status: 200, hang: true });
    const outcome = await sendDiscordAlert(deps(), job, 150);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toBe("Timed out after 150 ms");
  });

  test("a deleted traffic-source webhook: failed with a gone reason, nothing sent", async () => {
    discord.requests.length = 0;
    const outcome = await sendDiscordAlert(deps(), { trafficSourceWebhookId: crypto.randomUUID(), eventBody: "{}" }, 2000);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toBe("The traffic-source webhook was deleted");
    expect(outcome.goneReason).toBe("The traffic-source webhook was deleted");
    expect(discord.requests).toHaveLength(0);
  });
});
