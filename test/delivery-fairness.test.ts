// One endpoint that hangs must not hold every delivery slot (src/delivery/endpoint-queues.ts): its
// attempts time out, its share of the slots shrinks to one, and the rest of its due rows are
// put back for later without an attempt, so other webhooks' deliveries go out meanwhile.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startReceiver, waitFor } from "./helpers/delivery";
import { createFaultApp, rawServer, type FaultApp } from "./helpers/faults";

setDefaultTimeout(30_000);

const TIMEOUT_MS = 1000;
const CONCURRENCY = 4;
const OK_RESPONSE = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

let app: FaultApp;
const cleanups: (() => void | Promise<void>)[] = [];

function appWithTimeout(timeoutMs: number, concurrency = CONCURRENCY): FaultApp {
  const created = createFaultApp({
    DELIVERY_TIMEOUT_MS: String(timeoutMs),
    DELIVERY_CONCURRENCY: String(concurrency),
    // Failed attempts come back only much later: every attempt seen here was chosen by the loop.
    DELIVERY_RETRY_SCHEDULE: "3600,3600",
  });
  cleanups.push(() => created.shutdown());
  return created;
}

beforeAll(() => {
  app = appWithTimeout(TIMEOUT_MS);
});
afterAll(async () => {
  for (const stop of cleanups.reverse()) await stop();
});

/** A TCP server that reads requests and answers only while `answering()` says so. */
function hangingServer(answering: () => boolean = () => false): string {
  return hangingServerWithCount(answering).url;
}

function hangingServerWithCount(answering: () => boolean = () => false): { url: string; connections(): number } {
  const server = rawServer((socket) => {
    if (answering()) (socket.write(OK_RESPONSE), socket.end());
  });
  cleanups.push(server.stop);
  return { url: `http://127.0.0.1:${server.port}/hook`, connections: () => server.connections };
}

async function publishAtOnce(type: string, count: number, on = app): Promise<void> {
  // One group commit: the loop sees them all in one claim.
  const published = await Promise.all(Array.from({ length: count }, (_, i) => on.publish(type, { n: i })));
  for (const res of published) expect(res.status).toBe(202);
}

const sql = (on = app) => on.deps.db.$client;
const attemptsOf = (webhookId: string) =>
  sql().prepare("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ?").pluck().get(webhookId) as number;
type Row = { id: string; status: string; attempts: number; nextAttemptAt: number; updatedAt: number; lastError: string | null };
const rowsOf = (webhookId: string, on = app) =>
  sql(on)
    .prepare(
      `SELECT id, status, attempts, next_attempt_at AS nextAttemptAt, updated_at AS updatedAt, last_error AS lastError
         FROM deliveries WHERE webhook_id = ? ORDER BY rowid`,
    )
    .all(webhookId) as Row[];
const leasedOf = (webhookId: string) => rowsOf(webhookId).filter((r) => r.status === "leased").length;

describe("a hanging endpoint with a backlog", () => {
  let answering = false;
  const deadUrl = () => hangingServer(() => answering);
  let deadId: string;

  test("other webhooks' deliveries go out while its rows wait in the database, unattempted", async () => {
    deadId = (await app.createWebhook(deadUrl(), ["link.clicked"])).id;
    // Its backlog is older than anything the healthy webhook gets: six rounds of every slot.
    await publishAtOnce("link.clicked", 6 * CONCURRENCY);
    const healthy = startReceiver();
    cleanups.push(healthy.stop);
    await app.createWebhook(healthy.url, ["link.created"]);
    await publishAtOnce("link.created", 8);

    await waitFor(() => healthy.received.length >= 8, 20_000, "the healthy webhook's 8 deliveries");
    // Without a per-endpoint share the healthy rows waited for all 24 older rows to time out
    // (six rounds of four). Now: the first round times out, then one slot at a time.
    const deadAttempts = attemptsOf(deadId);
    expect(deadAttempts).toBeGreaterThanOrEqual(CONCURRENCY);
    expect(deadAttempts).toBeLessThanOrEqual(CONCURRENCY + 2);

    // Of its rows only one slot's worth stays claimed (running, and next in line); the queue it
    // had when it was found hanging went back too (the put-backs are written within ~20 ms).
    await waitFor(() => leasedOf(deadId) <= 2, TIMEOUT_MS / 2, "at most two of its rows leased");
    const rows = rowsOf(deadId);
    expect(rows).toHaveLength(6 * CONCURRENCY);
    // Put back, not attempted: pending, no attempt counted, due later than when put back, and
    // saying why.
    const putBack = rows.filter((r) => r.status === "pending" && r.attempts === 0);
    expect(putBack.length).toBeGreaterThanOrEqual(6 * CONCURRENCY - deadAttempts - 2);
    for (const r of putBack) {
      expect(r.nextAttemptAt).toBeGreaterThanOrEqual(r.updatedAt + 0.8 * TIMEOUT_MS);
      expect(r.lastError).toStartWith("Not attempted yet: the endpoint let recent attempts time out");
    }
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
    expect(attemptsOf(deadId)).toBe(rows.reduce((n, r) => n + r.attempts, 0));
    for (const r of rows) expect(r.attempts).toBeLessThanOrEqual(2);
    const timedOut = rows.filter((r) => r.attempts === 2).length;
    expect(timedOut).toBeGreaterThanOrEqual(CONCURRENCY);
    expect(timedOut).toBeLessThanOrEqual(CONCURRENCY + 4);
    for (const r of rows) expect(r.lastError).toBeNull();
  });
});

describe("a new endpoint that hangs, with more slots than it starts with", () => {
  // 16 slots; a new target starts with 4 and doubles them per answer. A request to a target that
  // has never answered, waiting half the 3 s timeout with no answer, marks the target hanging.
  test("it holds only its first few slots, and other webhooks' deliveries go out before its first timeout", async () => {
    const wide = appWithTimeout(3000, 16);
    const dead = hangingServerWithCount();
    const deadId = (await wide.createWebhook(dead.url, ["link.clicked"])).id;
    await publishAtOnce("link.clicked", 48, wide);
    const healthy = startReceiver();
    cleanups.push(healthy.stop);
    await wide.createWebhook(healthy.url, ["link.created"]);
    await publishAtOnce("link.created", 8, wide);

    await waitFor(() => healthy.received.length >= 8, 10_000, "the healthy webhook's 8 deliveries");
    // Before its timeout: none of its attempts has ended yet, and it never had more than its
    // first four requests out (all 16 slots, before: healthy rows waited the whole 3 s).
    expect(wide.loop.metrics.outcomes.retry).toBe(0);
    expect(rowsOf(deadId, wide).filter((r) => r.attempts > 0)).toHaveLength(0);
    expect(dead.connections()).toBeLessThanOrEqual(4);
    expect(wide.loop.metrics.deferred).toBeGreaterThan(0);
  });
});

describe("a slow endpoint that does answer", () => {
  test("is not taken for a hanging one: nothing put back, every row delivered at the first attempt", async () => {
    const wide = appWithTimeout(3000, 16);
    // 1.2 s an answer: longer than the second a known endpoint gets, shorter than what one met
    // for the first time gets (half the timeout here).
    const slow = startReceiver(async () => (await Bun.sleep(1200), new Response(null, { status: 204 })));
    cleanups.push(slow.stop);
    const id = (await wide.createWebhook(slow.url, ["link.clicked"])).id;
    await publishAtOnce("link.clicked", 24, wide);
    const rows = await waitFor(() => {
      const all = rowsOf(id, wide);
      return all.every((r) => r.status === "delivered") ? all : undefined;
    }, 15_000, "every row delivered");
    for (const r of rows) expect(r.attempts).toBe(1);
    expect(wide.loop.metrics.deferred).toBe(0);
  });
});

describe("retries of a hanging endpoint", () => {
  // A longer timeout here: each step below must happen while one attempt hangs.
  let slow: FaultApp;
  let id: string;
  beforeAll(() => {
    slow = appWithTimeout(2000);
  });
  const rows = () => rowsOf(id, slow);
  const row = (rowId: string) => rows().find((r) => r.id === rowId)!;
  const setDue = (rowId: string, at: number) => sql(slow).prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").run(at, rowId);
  const dueNow = (rowId: string) => setDue(rowId, 0);
  /** Rows put back return after about one timeout; these steps decide themselves when each is due. */
  const park = (rowIds: string[]) => rowIds.forEach((rowId) => setDue(rowId, Number.MAX_SAFE_INTEGER));
  const untried = () => rows().filter((r) => r.attempts === 0 && r.status === "pending");
  /** Publishes `count` events and returns the one new row that was put back. */
  async function publishOnePutBack(count: number): Promise<Row> {
    const before = new Set(rows().map((r) => r.id));
    await publishAtOnce("uptime.down", count, slow);
    const [putBack] = await waitFor(() => {
      const fresh = untried().filter((r) => !before.has(r.id));
      return fresh.length === 1 ? fresh : undefined;
    }, 5_000, "one new row put back");
    return putBack!;
  }

  test("a due retry takes the place of a queued first attempt, so tried rows keep moving towards failed", async () => {
    id = (await slow.createWebhook(hangingServer(), ["uptime.down"])).id;
    // Every slot's first attempt times out: down to one slot, these four wait an hour to retry.
    await publishAtOnce("uptime.down", CONCURRENCY, slow);
    const tried = await waitFor(() => {
      const all = rows();
      return all.every((r) => r.status === "pending" && r.attempts === 1) ? all : undefined;
    }, 10_000, "the first round timed out");
    // Three new rows: the first takes the one slot (and hangs), the others are put back.
    await publishAtOnce("uptime.down", 3, slow);
    const putBack = await waitFor(() => (untried().length === 2 ? untried() : undefined), 5_000, "two rows put back");
    park(putBack.map((r) => r.id));
    // One of them is due again: claimed, it is next in line behind the hanging attempt.
    const waitingFresh = putBack[0]!;
    dueNow(waitingFresh.id);
    slow.loop.wake();
    await waitFor(() => row(waitingFresh.id).status === "leased", 5_000, "the first attempt queued");
    // Then a retry is due: it takes that place, and the first attempt goes back.
    dueNow(tried[0]!.id);
    slow.loop.wake();
    await waitFor(() => row(tried[0]!.id).attempts === 2, 10_000, "the retry attempted");
    // One slot: the first attempt, put back, could only come after the retry.
    expect(row(waitingFresh.id).attempts).toBe(0);
  });

  test("rows of a webhook disabled meanwhile are skipped (failed, visibly), not put back again", async () => {
    // Start from nothing of its own under way.
    park(rows().filter((r) => r.status === "pending").map((r) => r.id));
    await waitFor(() => rows().every((r) => r.status !== "leased"), 10_000, "its attempts over");
    // Two rows: one takes the slot (and hangs), the other is put back; due again, it takes the
    // one queue place.
    const queued = await publishOnePutBack(2);
    dueNow(queued.id);
    slow.loop.wake();
    await waitFor(() => row(queued.id).status === "leased", 5_000, "one row queued");
    // Over its share now: a third row is put back.
    const over = await publishOnePutBack(1);
    // Disabled: when it is due again it is skipped, whatever the endpoint's share.
    expect((await slow.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: false })).status).toBe(200);
    dueNow(over.id);
    slow.loop.wake();
    await waitFor(() => row(over.id).status === "failed", 5_000, "the row skipped");
    expect(row(over.id)).toMatchObject({ attempts: 0, lastError: "Webhook is disabled" });
  });
});

describe("several hanging endpoints", () => {
  test("together they hold at most half the slots: the other half keeps delivering", async () => {
    const silent = hangingServer();
    const healthy = startReceiver();
    cleanups.push(healthy.stop);
    // As many hanging webhooks as there are slots, each with a backlog.
    const dead: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) dead.push((await app.createWebhook(`${silent}/${i}`, ["link.updated"])).id);
    await publishAtOnce("link.updated", 6);
    await app.createWebhook(healthy.url, ["link.deleted"]);
    await publishAtOnce("link.deleted", 8);

    await waitFor(() => healthy.received.length >= 8, 20_000, "the healthy webhook's 8 deliveries");
    // A slot each would still be every slot: a second full round (eight attempts) before any
    // healthy delivery. With half the slots for all of them: the first round, then two at a time.
    const deadAttempts = dead.reduce((n, id) => n + attemptsOf(id), 0);
    expect(deadAttempts).toBeGreaterThanOrEqual(CONCURRENCY);
    expect(deadAttempts).toBeLessThanOrEqual(CONCURRENCY + CONCURRENCY / 2);
  });
});
