// The fuzz runner must be able to fail: against a deliberately broken app it reports 5xx,
// rejected requests that wrote to the database, errors outside the envelope and accepted bad
// credentials. (The real suites expect zero of each.)
import { afterAll, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { createTestApp, type TestApp } from "./helpers/app";
import { linksSurface } from "./helpers/fuzz/links-surface";
import { runFuzz } from "./helpers/fuzz/run";

const t = createTestApp();
afterAll(() => t.close());

test("the runner catches every kind of violation", async () => {
  const sqlite = t.deps.db.$client;
  let n = 0;
  const broken = new Elysia()
    .post("/api/v1/links/webhooks", ({ set }) => {
      // Writes, then rejects: the worst kind of bug the dump comparison exists for.
      sqlite.prepare("insert into api_keys (id, name, key_hash, created_at) values (?, 'leak', ?, 0)").run(`k${n}`, `h${n++}`);
      set.status = 400;
      return { error: "Bad Request", message: "no", code: 400 };
    })
    .patch("/api/v1/links/webhooks/:id", () => {
      throw new Error("boom");
    })
    .delete("/api/v1/links/webhooks/:id", ({ set }) => {
      set.status = 404;
      return "not an envelope";
    });
  const report = await runFuzz({ ...t, app: broken as unknown as TestApp["app"] }, linksSurface, 42, 300);
  const rules = new Set(report.violations.map((v) => v.rule));
  expect(rules.has("5xx")).toBe(true);
  expect(rules.has("rejected request changed stored data")).toBe(true);
  expect(rules.has("error outside the envelope")).toBe(true);
  expect(rules.has("bad credentials not refused with the documented status")).toBe(true);
});
