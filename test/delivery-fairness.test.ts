// One endpoint that hangs must not hold every delivery slot (src/delivery/target-limits.ts): its
// attempts time out, its share of the slots shrinks to one, and the rest of its due rows are
// put back for later without an attempt, so other webhooks' deliveries go out meanwhile.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startReceiver, waitFor } from "./helpers/delivery";
import { createFaultApp, rawServer, type FaultApp, type RawServer } from "./helpers/faults";

setDefaultTimeout(30_000);

const TIMEOUT_MS = 400;
const CONCURRENCY = 4;
const OK_RESPONSE = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

let app: FaultApp;
let hanging: RawServer;
/** While false the "dead" endpoint reads requests and never answers. */
let answering = false;
const cleanups: (() => void)[] = [];

beforeAll(() => {
  app = createFaultApp({
    DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
    DELIVERY_CONCURRENCY: String(CONCURRENCY),
    // Failed attempts come back only much later: every attempt seen here is a first attempt.
    DELIVERY_RETRY_SCHEDULE: "3600,3600",
  });
  hanging = rawServer((socket) => {
    if (answering) (socket.write(OK_RESPONSE), socket.end());
  });
  cleanups.push(hanging.stop);
});
afterAll(async () => {
  for (const stop of cleanups) stop();
  await app.shutdown();
});

const sql = () => app.deps.db.$client;
const attemptsOf = (webhookId: string) =>
  sql().prepare("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ?").pluck().get(webhookId) as number;
const rowsOf = (webhookId: string) =>
  sql().prepare("SELECT id, status, attempts, next_attempt_at AS nextAttemptAt FROM deliveries WHERE webhook_id = ? ORDER BY rowid").all(webhookId) as {
    id: string; status: string; attempts: number; nextAttemptAt: number;
  }[];

describe("a hanging endpoint with a backlog", () => {
  let deadId: string;
  let healthyId: string;
  const healthy = startReceiver();
  cleanups.push(healthy.stop);

  test("other webhooks' deliveries go out while its rows wait, and none of its rows is lost", async () => {
    deadId = (await app.createWebhook(`http://127.0.0.1:${hanging.port}/hook`, ["link.clicked"])).id;
    // Its backlog is older than anything the healthy webhook gets: six rounds of every slot,
    // published at once (one group commit), so the loop claims a full queue of them at once.
    const published = await Promise.all(Array.from({ length: 6 * CONCURRENCY }, (_, i) => app.publish("link.clicked", { n: i })));
    for (const res of published) expect(res.status).toBe(202);
    healthyId = (await app.createWebhook(healthy.url, ["link.clicked", "link.created"])).id;
    for (let i = 0; i < 8; i++) expect((await app.publish("link.created", { n: i })).status).toBe(202);

    await waitFor(() => healthy.received.length >= 8, 20_000, "the healthy webhook's 8 deliveries");
    // Without a per-endpoint share the healthy rows waited for all 24 older rows to time out
    // (six rounds of four). Now: the first round times out, then one slot at a time.
    const deadAttempts = attemptsOf(deadId);
    expect(deadAttempts).toBeGreaterThanOrEqual(CONCURRENCY);
    expect(deadAttempts).toBeLessThanOrEqual(CONCURRENCY + 3);

    const rows = rowsOf(deadId);
    expect(rows).toHaveLength(6 * CONCURRENCY);
    // Of its rows only one slot's worth is held (running, or next in line); the rest went back.
    expect(rows.filter((r) => r.status === "leased").length).toBeLessThanOrEqual(2);
    // Put back, not attempted: pending, no attempt counted, due later.
    const putBack = rows.filter((r) => r.status === "pending" && r.attempts === 0);
    expect(putBack.length).toBeGreaterThan(0);
    for (const r of putBack) expect(r.nextAttemptAt).toBeGreaterThan(Date.now());
    expect(app.loop.metrics.deferred).toBeGreaterThanOrEqual(putBack.length);
  });

  test("once it answers again, its slots come back and every row is delivered with honest counts", async () => {
    answering = true;
    // Rows put back (and the retries of timed-out attempts, including the one still hanging when
    // the endpoint recovered) are due later: bring them forward rather than wait.
    const bringForward = sql().prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE webhook_id = ? AND status = 'pending'");
    const rows = await waitFor(() => {
      if (bringForward.run(deadId).changes > 0) app.loop.wake();
      const all = rowsOf(deadId);
      return all.every((r) => r.status === "delivered") ? all : undefined;
    }, 20_000, "every row of the recovered webhook delivered");
    // Each row: its timed-out first attempt (if it had one) plus the one that delivered it.
    const attempts = attemptsOf(deadId);
    expect(attempts).toBe(rows.reduce((n, r) => n + r.attempts, 0));
    for (const r of rows) expect(r.attempts).toBeLessThanOrEqual(2);
    const timedOut = rows.filter((r) => r.attempts === 2).length;
    expect(timedOut).toBeGreaterThanOrEqual(CONCURRENCY);
    expect(timedOut).toBeLessThanOrEqual(CONCURRENCY + 3);
  });
});

describe("several hanging endpoints", () => {
  test("together they hold at most half the slots: the other half keeps delivering", async () => {
    const silent = rawServer(() => {});
    cleanups.push(silent.stop);
    const healthy = startReceiver();
    cleanups.push(healthy.stop);
    // As many hanging webhooks as there are slots, each with a backlog.
    const dead: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) dead.push((await app.createWebhook(`http://127.0.0.1:${silent.port}/hook/${i}`, ["link.updated"])).id);
    for (let i = 0; i < 6; i++) expect((await app.publish("link.updated", { n: i })).status).toBe(202);
    await app.createWebhook(healthy.url, ["link.deleted"]);
    for (let i = 0; i < 8; i++) expect((await app.publish("link.deleted", { n: i })).status).toBe(202);

    await waitFor(() => healthy.received.length >= 8, 20_000, "the healthy webhook's 8 deliveries");
    // One slot each would still be every slot: the healthy rows would wait for all 24 to time out.
    const deadAttempts = dead.reduce((n, id) => n + attemptsOf(id), 0);
    expect(deadAttempts).toBeLessThanOrEqual(2 * CONCURRENCY);
    // Nothing lost: every row of theirs is still there, attempted or put back.
    expect(dead.reduce((n, id) => n + rowsOf(id).length, 0)).toBe(6 * CONCURRENCY);
  });
});
