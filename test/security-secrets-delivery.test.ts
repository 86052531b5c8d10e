// Secrets through the delivery engine: signing secrets (current and, after a rotation, the
// previous one), the Discord bot token and Discord webhook tokens never appear in a delivery
// log line or in the delivery log API, whether attempts succeed, fail or cannot connect.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createSession } from "../src/auth/sessions";
import { createUser } from "../src/auth/users";
import { startReceiver, waitFor, type Receiver } from "./helpers/delivery";
import { startFakeDiscord, type FakeDiscord } from "./helpers/fake-discord";
import { createFaultApp, type FaultApp } from "./helpers/faults";

// Real receivers, argon2 and loaded CI machines: more than bun's 5 s default per test.
setDefaultTimeout(30_000);

const BOT_TOKEN = "bot-token-SECRET-abcdef0123456789";
const DISCORD_HOOK_TOKEN = "hookTOKEN-SECRET_abc123";
const SIGNING_SECRET = "whsec_c2lnbmluZy1TRUNSRVQtZGVsaXZlcnktMDEyMzQ1";

let app: FaultApp;
let discord: FakeDiscord;
const receivers: Receiver[] = [];
beforeAll(() => {
  discord = startFakeDiscord();
  app = createFaultApp({ DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_BASE: discord.url, DELIVERY_RETRY_SCHEDULE: "0.05" });
});
afterAll(async () => {
  for (const r of receivers) r.stop();
  discord.stop();
  await app.shutdown();
});

test("no signing secret or Discord credential in delivery logs or the delivery log API", async () => {
  const ok = startReceiver();
  const failing = startReceiver(() => new Response("nope", { status: 500 }));
  const closed = startReceiver();
  closed.stop();
  receivers.push(ok, failing);
  const hooks: string[] = [];
  for (const url of [ok.url, failing.url, closed.url]) {
    const res = await app.request("POST", "/api/v1/links/webhooks", { url, events: ["link.clicked"], secret: SIGNING_SECRET });
    hooks.push(res.body.data.id);
  }
  const rotated = await app.request("POST", `/api/v1/links/webhooks/${hooks[0]}/secret/rotate`);
  expect(rotated.status).toBe(200);
  const newSecret = (await app.request("GET", `/api/v1/links/webhooks/${hooks[0]}/secret`)).body.data.secret as string;
  for (let i = 0; i < 3; i++) await app.request("POST", "/api/v1/events", { type: "link.clicked", data: { i } });
  await app.request("POST", `/api/v1/links/webhooks/${hooks[1]}/test`);

  // Surface B alerts: one through the bot (channel id), one through a Discord webhook URL.
  const user = await createUser(app.deps.store.users, { email: "alerts@example.com", password: "alerts password" });
  const auth = { bearer: (await createSession(app.deps.store.sessions, user.id)).token };
  const source = await app.request("POST", "/traffic-sources", { name: "Checkout" }, { auth });
  await app.request("POST", `/webhooks/${source.body.id}`, { type: "discord", level: "fatal", value: "123456789" }, { auth });
  await app.request("POST", `/webhooks/${source.body.id}`, { type: "discord", level: "info", value: `https://discord.com/api/webhooks/42/${DISCORD_HOOK_TOKEN}` }, { auth });
  discord.respondWith({ status: 401, body: '{"message": "401: Unauthorized", "code": 0}' });
  for (const level of ["fatal", "info", "fatal"]) {
    await app.request("POST", `/traffic-sources/${source.body.id}/events`, { level, title: "Down", message: "down" }, { auth });
  }

  const settledCount = () => app.deps.db.$client.prepare("select count(*) from deliveries where status in ('delivered', 'failed')").pluck().get() as number;
  const total = app.deps.db.$client.prepare("select count(*) from deliveries").pluck().get() as number;
  await waitFor(() => settledCount() === total, 10_000, "every delivery to settle");
  // The bot token and the webhook token were really used (so they were in play).
  expect(discord.requests.some((r) => r.headers.authorization === `Bot ${BOT_TOKEN}`)).toBe(true);
  expect(discord.requests.some((r) => r.path.includes(DISCORD_HOOK_TOKEN))).toBe(true);

  const apiTexts: string[] = [];
  for (const id of hooks) apiTexts.push((await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries`)).text);
  const ids = app.deps.db.$client.prepare("select id from deliveries").pluck().all() as string[];
  for (const id of ids) apiTexts.push((await app.request("GET", `/api/v1/deliveries/${id}`)).text);
  const attemptLines = app.logs.filter((l) => l.includes('"delivery attempt"'));
  expect(attemptLines.length).toBeGreaterThanOrEqual(total);

  const leaks: string[] = [];
  for (const [name, value] of [["signing secret", SIGNING_SECRET], ["rotated secret", newSecret], ["bot token", BOT_TOKEN], ["Discord webhook token", DISCORD_HOOK_TOKEN]]) {
    for (const line of app.logs) if (line.includes(value!)) leaks.push(`${name} in log: ${line.slice(0, 160)}`);
    for (const text of apiTexts) if (text.includes(value!)) leaks.push(`${name} in delivery API: ${text.slice(0, 160)}`);
  }
  expect(leaks).toEqual([]);
});
