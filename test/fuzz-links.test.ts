// Input fuzzing of surface A's write routes: 7,000 seeded requests through app.handle() (with
// fuzz-traffic's 3,000, 10,000 per run, each checked against a full dump).
// Replay a failure with FUZZ_SEED=<printed seed>; `bun run soak` runs ten times as many.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "./helpers/app";
import { linksSurface } from "./helpers/fuzz/links-surface";
import { fuzzScale, seedFromEnv } from "./helpers/fuzz/random";
import { formatReport, runFuzz } from "./helpers/fuzz/run";

const REQUESTS = 7_000 * fuzzScale();
const SEED = seedFromEnv(0x5eed_a001);

let t: TestApp;
beforeAll(async () => {
  t = createTestApp();
  // A few webhooks so PATCH and DELETE hit real rows from the first request on.
  for (let i = 0; i < 5; i++) {
    const res = await t.request("POST", "/api/v1/links/webhooks", { url: `https://fixture${i}.example.com/h`, events: ["link.created"] });
    expect(res.status).toBe(201);
  }
});
afterAll(() => t.close());

test(`surface A write routes survive ${REQUESTS} fuzzed requests: no 5xx, rejections change nothing`, async () => {
  const report = await runFuzz(t, linksSurface, SEED, REQUESTS);
  console.log(formatReport("links", report));
  expect(report.violations).toEqual([]);
  expect(report.requests).toBeGreaterThanOrEqual(REQUESTS * 0.99);
  // The generator must exercise both sides: accepted writes and every rejection family.
  expect(report.accepted).toBeGreaterThan(REQUESTS / 50);
  for (const status of [400, 401, 404, 413, 415]) expect(report.byStatus[status] ?? 0).toBeGreaterThan(0);
}, 120_000);
