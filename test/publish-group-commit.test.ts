// Publishes that arrive together share one commit (db/group-commit.ts); each must still be
// its own unit: idempotency holds inside a batch and a bad publish takes no other down.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "./helpers/app";

let app: TestApp;
const count = (table: string) => (app.deps.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  app = createTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
  const res = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/hook", events: ["link.clicked"] });
  expect(res.status).toBe(201);
});
afterAll(() => app.close());

test("concurrent publishes with one Idempotency-Key store one event; the others are replays of it", async () => {
  const headers = { "Idempotency-Key": "burst-1" };
  const before = [count("events"), count("deliveries")];
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => app.request("POST", "/api/v1/events", { type: "link.clicked", data: { n: 1 } }, { headers })),
  );
  expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
  expect(new Set(answers.map((a) => a.body.data.id)).size).toBe(1);
  expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
  expect([count("events"), count("deliveries")]).toEqual([before[0]! + 1, before[1]! + 1]);
});

test("in a burst, distinct publishes are all stored and an invalid one is refused alone", async () => {
  const before = count("events");
  const answers = await Promise.all([
    app.request("POST", "/api/v1/events", { type: "link.clicked", data: { n: 1 } }),
    app.request("POST", "/api/v1/events", { type: "link.clicked", data: [1, 2] }),
    app.request("POST", "/api/v1/events", { type: "link.clicked", data: { n: 3 } }),
  ]);
  expect(answers.map((a) => a.status)).toEqual([202, 400, 202]);
  expect(answers[1]!.body.details).toEqual([{ field: "data", message: "Must be a JSON object" }]);
  expect(count("events")).toBe(before + 2);
});
