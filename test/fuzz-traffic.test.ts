// Input fuzzing of surface B's write routes (and login, logout, user creation): seeded requests
// through app.handle(). Replay a failure with FUZZ_SEED=<printed seed>.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "./helpers/app";
import { fuzzScale, seedFromEnv } from "./helpers/fuzz/random";
import { formatReport, runFuzz } from "./helpers/fuzz/run";
import { createTrafficFixtures, trafficSurface, type TrafficFixtures } from "./helpers/fuzz/traffic-surface";

const REQUESTS = 3_000 * fuzzScale();
const SEED = seedFromEnv(0x5eed_b002);

let t: TestApp;
let fixtures: TrafficFixtures;
beforeAll(async () => {
  t = createTestApp();
  fixtures = await createTrafficFixtures(t);
});
afterAll(() => t.close());

test(`surface B write routes survive ${REQUESTS} fuzzed requests: no 5xx, rejections change nothing`, async () => {
  const report = await runFuzz(t, trafficSurface(t, fixtures), SEED, REQUESTS);
  console.log(formatReport("traffic", report));
  expect(report.violations).toEqual([]);
  expect(report.requests).toBeGreaterThanOrEqual(REQUESTS * 0.99);
  expect(report.accepted).toBeGreaterThan(REQUESTS / 50);
  // Every documented rejection (docs/api-guide.md, surface B): bad body, no token (400), bad token, other user's source, unknown source, duplicate level.
  for (const status of [400, 401, 403, 404, 409, 413, 415]) expect(report.byStatus[status] ?? 0).toBeGreaterThan(0);
}, 120_000);
