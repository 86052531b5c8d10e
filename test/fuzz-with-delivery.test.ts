// Fuzzing while the delivery loop runs: webhooks are patched, rotated, disabled and deleted
// while their deliveries are in flight to receivers that answer at random. No 5xx, no error
// logged by the loop, and afterwards every delivery settles (none stuck leased or lost).
// (Rejected requests are not dump-compared here: the loop itself writes concurrently.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startReceiver, waitFor, type Receiver } from "./helpers/delivery";
import { createFaultApp, type FaultApp } from "./helpers/faults";
import { linksSurface } from "./helpers/fuzz/links-surface";
import { fuzzScale, Random, seedFromEnv } from "./helpers/fuzz/random";
import { formatReport, runFuzz } from "./helpers/fuzz/run";
import type { FuzzSurface } from "./helpers/fuzz/surface";
import { createTrafficFixtures, trafficSurface } from "./helpers/fuzz/traffic-surface";
import { startFakeDiscord, type FakeDiscord } from "./helpers/fake-discord";

const REQUESTS = 2_000 * fuzzScale();
const SEED = seedFromEnv(0x5eed_c003);

let app: FaultApp;
let discord: FakeDiscord;
const receivers: Receiver[] = [];
beforeAll(async () => {
  discord = startFakeDiscord();
  app = createFaultApp({ DELIVERY_TIMEOUT_MS: "300", DELIVERY_RETRY_SCHEDULE: "0.02,0.05", DISCORD_API_BASE: discord.url, DISCORD_BOT_TOKEN: "bot-token" });
  const r = new Random(SEED + 7);
  for (let i = 0; i < 4; i++) {
    receivers.push(
      startReceiver(async () => {
        const roll = r.next();
        if (roll < 0.1) await Bun.sleep(r.int(1, 50));
        const status = roll < 0.6 ? 204 : r.pick([200, 410, 429, 500, 503, 302]);
        return new Response("x", { status, headers: status === 302 ? { location: "http://127.0.0.1:1/" } : { "retry-after": "0" } });
      }),
    );
  }
});
afterAll(async () => {
  await app.shutdown();
  for (const r of receivers) r.stop();
  discord.stop();
});

async function settleWithoutErrors() {
  const count = (sql: string) => app.deps.db.$client.prepare(sql).pluck().get() as number;
  await waitFor(() => count("select count(*) from deliveries where status in ('pending', 'leased')") === 0, 20_000, "deliveries to settle");
  expect(app.logs.filter((line) => /"level":"(error|warn)"/.test(line))).toEqual([]);
}

test(`${REQUESTS} fuzzed requests while deliveries run: no 5xx, no loop errors, nothing stuck`, async () => {
  // Valid create bodies point at the live receivers, so published events really get delivered.
  const surface: FuzzSurface = {
    ...linksSurface,
    routes: linksSurface.routes.map((route) =>
      route.method === "POST" && route.path === "/api/v1/links/webhooks"
        ? { ...route, body: (ctx) => ({ ...route.body!(ctx), url: ctx.r.pick(receivers).url }) }
        : route,
    ),
  };
  const report = await runFuzz(app, surface, SEED, REQUESTS, { compareDumps: false, yieldEvery: 5 });
  console.log(formatReport("links + delivery loop", report));
  expect(report.violations).toEqual([]);
  // Attempts really ran during the fuzz (counted from the log: deletes cascade to attempt rows).
  expect(app.logs.filter((line) => line.includes('"msg":"delivery attempt"')).length).toBeGreaterThan(20);
  await settleWithoutErrors();
}, 120_000);

test(`surface B: ${REQUESTS / 2} fuzzed requests while Discord alerts are delivered: same guarantees`, async () => {
  const fixtures = await createTrafficFixtures(app);
  const report = await runFuzz(app, trafficSurface(app, fixtures), SEED + 1, REQUESTS / 2, { compareDumps: false, yieldEvery: 5 });
  console.log(formatReport("traffic + delivery loop", report));
  expect(report.violations).toEqual([]);
  expect(discord.requests.length).toBeGreaterThan(0);
  await settleWithoutErrors();
}, 120_000);
