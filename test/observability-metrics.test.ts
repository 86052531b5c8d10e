// GET /metrics as an operator reads it: every family the README lists, with bounded labels
// (route patterns, the busiest webhooks only), database gauges that see rows waiting, and the
// whole exposition clean under `promtool check metrics` (scripts/ensure-promtool.sh installs it).
import { afterAll, describe, expect, test } from "bun:test";
import { BACKLOG_TOP } from "../src/health/queue-gauges";
import { createTestApp, type TestApp } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function scrape(app: TestApp): Promise<string> {
  const res = await app.request("GET", "/metrics", undefined, { auth: "none" });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text;
}

/** The value of one sample, by its exact name and label text (`name{a="b"}`), or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function promtool(text: string): Promise<{ code: number; output: string }> {
  const path = Bun.which("promtool");
  if (!path) throw new Error("promtool is missing: run scripts/ensure-promtool.sh (bun run test does)");
  const proc = Bun.spawn([path, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const output = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  clearTimeout(timer);
  return { code: await proc.exited, output };
}

describe("GET /metrics", () => {
  test("counts publishes, deliveries and HTTP requests by route pattern, and passes promtool", async () => {
    const rx = startReceiver();
    const app = createDeliveryTestApp();
    cleanup.push(() => rx.stop(), () => app.shutdown(), () => app.close());
    await app.createWebhook(rx.url);
    const first = await app.publish("link.clicked", { n: 1 }, { "idempotency-key": "k1" });
    expect(first.status).toBe(202);
    expect((await app.publish("link.clicked", { n: 1 }, { "idempotency-key": "k1" })).headers.get("idempotent-replayed")).toBe("true");
    expect((await app.publish("uptime.down", { n: 2 })).status).toBe(202);
    await waitFor(() => rx.received.length === 1, 5000, "the delivery");
    await waitFor(() => app.loop.metrics.outcomes.delivered === 1);
    const deliveryId = (await app.request("GET", `/api/v1/links/webhooks/${(await app.request("GET", "/api/v1/links/webhooks")).body.data[0].id}/deliveries`)).body.data[0].id;
    expect((await app.request("GET", `/api/v1/deliveries/${deliveryId}`)).status).toBe(200);
    expect((await app.request("GET", "/api/v1/deliveries/dlv_doesnotexist")).status).toBe(404);
    expect((await app.request("GET", "/no/such/path/abc123")).status).toBe(404);
    expect((await app.request("GET", "/health", undefined, { auth: "none" })).status).toBe(200);

    const text = await scrape(app);
    // Replays are not counted; a type nobody subscribes to still is (it was stored).
    expect(value(text, 'hookrelay_events_published_total{type="link.clicked"}')).toBe(1);
    expect(value(text, 'hookrelay_events_published_total{type="uptime.down"}')).toBe(1);
    expect(value(text, 'hookrelay_delivery_attempts_total{outcome="delivered",transport="http"}')).toBe(1);
    expect(value(text, 'hookrelay_delivery_attempts_total{outcome="retry",transport="discord"}')).toBe(0);
    expect(value(text, 'hookrelay_delivery_publish_to_delivered_seconds_count{transport="http"}')).toBe(1);
    expect(value(text, 'hookrelay_delivery_publish_to_delivered_seconds_bucket{transport="http",le="+Inf"}')).toBe(1);
    expect(value(text, 'hookrelay_delivery_publish_to_delivered_seconds_sum{transport="http"}')).toBeGreaterThan(0);
    // Route patterns, never raw paths: the ids in the paths above are in no label.
    expect(value(text, 'hookrelay_http_requests_total{method="POST",route="/api/v1/events",status="202"}')).toBe(3);
    expect(value(text, 'hookrelay_http_requests_total{method="GET",route="/api/v1/deliveries/:id",status="200"}')).toBe(1);
    expect(value(text, 'hookrelay_http_requests_total{method="GET",route="/api/v1/deliveries/:id",status="404"}')).toBe(1);
    expect(value(text, 'hookrelay_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(value(text, 'hookrelay_http_requests_total{method="GET",route="/health",status="200"}')).toBe(1);
    expect(value(text, 'hookrelay_http_request_duration_seconds_count{method="GET",route="/api/v1/deliveries/:id"}')).toBe(2);
    expect(text).not.toContain(deliveryId);
    expect(text).not.toContain("abc123");
    // process_* and build info.
    expect(value(text, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(value(text, "process_heap_bytes")).toBeGreaterThan(0);
    expect(value(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value(text, "process_open_fds")).toBeGreaterThan(2);
    expect(Math.abs(value(text, "process_start_time_seconds")! - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
    expect(text).toMatch(/\nhookrelay_build_info\{version="\d+\.\d+\.\d+[^"]*",runtime="bun",runtime_version="[^"]+"\} 1\n/);

    const checked = await promtool(text);
    expect(checked.output).toBe("");
    expect(checked.code).toBe(0);
  });

  test("promtool would catch a bad exposition (the check is real)", async () => {
    const checked = await promtool("# TYPE requests counter\nrequests 1\n");
    expect(checked.code).not.toBe(0);
    expect(checked.output).toContain("counter metrics should have \"_total\" suffix");
  });

  test("the oldest due age and the busiest webhooks' backlog come from the database", async () => {
    // No delivery loop: published rows stay due.
    const app = createTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
    cleanup.push(() => app.close());
    let text = await scrape(app);
    expect(value(text, "hookrelay_delivery_oldest_due_age_seconds")).toBe(0);
    expect(text).not.toContain("hookrelay_webhook_due_deliveries{");

    // BACKLOG_TOP + 2 webhooks, 3 due rows each: more endpoints than the gauge may list.
    const ids: string[] = [];
    for (let i = 0; i < BACKLOG_TOP + 2; i++) {
      const res = await app.request("POST", "/api/v1/links/webhooks", { url: `http://127.0.0.1:9/${i}`, events: ["link.clicked", "link.created"] });
      ids.push(res.body.data.id);
    }
    for (let n = 0; n < 3; n++) expect((await app.request("POST", "/api/v1/events", { type: "link.clicked", data: {} })).status).toBe(202);
    // ids[0]'s rows have waited 90 s; two of ids[1]'s are done, so it has the fewest due.
    const db = app.deps.db.$client;
    db.prepare("UPDATE deliveries SET next_attempt_at = next_attempt_at - 90000 WHERE webhook_id = ?").run(ids[0]);
    db.prepare("UPDATE deliveries SET status = 'delivered' WHERE webhook_id = ? AND rowid IN (SELECT rowid FROM deliveries WHERE webhook_id = ? LIMIT 2)").run(ids[1], ids[1]);

    text = await scrape(app);
    const age = value(text, "hookrelay_delivery_oldest_due_age_seconds")!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(150);
    expect(value(text, "hookrelay_delivery_due")).toBe(3 * ids.length - 2);
    const backlog = text.split("\n").filter((l) => l.startsWith("hookrelay_webhook_due_deliveries{"));
    expect(backlog).toHaveLength(BACKLOG_TOP);
    expect(value(text, `hookrelay_webhook_due_deliveries{webhook_id="${ids[0]}"}`)).toBe(3);
    // ids[1] has the fewest due rows (1): it is not among the top.
    expect(value(text, `hookrelay_webhook_due_deliveries{webhook_id="${ids[1]}"}`)).toBeUndefined();
    const checked = await promtool(text);
    expect(checked.output).toBe("");
  });
});
