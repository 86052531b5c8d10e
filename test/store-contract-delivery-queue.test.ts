// DeliveryQueue (src/db/store.ts) as a contract: the same cases against every store in
// test/helpers/store-backends.ts. Claims, leases, every kind of outcome and what it does to the
// row, the attempt log and the webhook; on a store several nodes share, that a claim is never
// held by two nodes and that a stalled node's late outcome writes nothing.
import { expect, test } from "bun:test";
import { statements as pgQueueStatements } from "../src/db/postgres/delivery-queue";
import { statements as sqliteQueueStatements } from "../src/db/sqlite/delivery-queue";
import type { SqliteStore } from "../src/db/sqlite/store";
import { PostgresStore } from "../src/db/postgres/store";
import type { AttemptResult, ClaimedDelivery } from "../src/db/store";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_700_000_000_000;

async function seed(h: StoreHarness, n: number, options: { dueAt?: number; webhook?: Record<string, unknown>; fifo?: boolean } = {}) {
  const webhookId = `whk_${crypto.randomUUID().slice(0, 8)}`;
  await h.insert("webhooks", { id: webhookId, url: "https://example.com/in", events: '["link.clicked"]', secret: "whsec_a", createdAt: NOW - 10_000, updatedAt: NOW - 10_000, ...options.webhook });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const eventId = `evt_${webhookId}_${i}`;
    await h.insert("events", { id: eventId, type: "link.clicked", body: `{"i":${i}}`, createdAt: NOW - 1000 + i, publicId: `pub_${webhookId}_${i}`, traceParent: i === 0 ? "00-abc-def-01" : null });
    const id = `dlv_${webhookId}_${String(i).padStart(3, "0")}`;
    await h.insert("deliveries", { id, eventId, transport: "http", webhookId, status: "pending", nextAttemptAt: (options.dueAt ?? NOW - 1000) + i, createdAt: NOW - 1000 + i, updatedAt: NOW - 1000 + i, fifo: options.fifo ?? false });
    ids.push(id);
  }
  return { webhookId, ids };
}

const claim = async (h: StoreHarness, now: number, limit: number, leaseMs = 30_000) =>
  (await h.store.queue.recordAndClaim([], { now, limit, leaseMs })).deliveries;
const idsOf = (claims: ClaimedDelivery[]) => claims.map((c) => c.id).sort();
const record = (h: StoreHarness, results: AttemptResult[]) => h.store.queue.recordAndClaim(results, null);

function outcome(c: ClaimedDelivery, result: Partial<AttemptResult> & Pick<AttemptResult, "kind">): AttemptResult {
  return { deliveryId: c.id, lease: c.lease, webhookId: c.webhookId, attemptedAt: NOW + 10, durationMs: 5, statusCode: null, responseBody: null, error: null, ...result } as AttemptResult;
}

async function attemptsOf(h: StoreHarness, deliveryId: string) {
  const rows = (await h.rows("deliveryAttempts")).filter((r) => r.deliveryId === deliveryId);
  return rows.sort((a, b) => Number(a.id) - Number(b.id)).map(({ id: _, deliveryId: __, ...r }) => r);
}

describeStores("DeliveryQueue claim", (h) => {
  test("leases due rows oldest first, at most the limit, never twice while the lease lasts", async () => {
    const { ids, webhookId } = await seed(h(), 5);
    await seed(h(), 1, { dueAt: NOW + 60_000 }); // not due yet
    const first = await claim(h(), NOW, 3);
    expect(idsOf(first)).toEqual(ids.slice(0, 3));
    expect(first.find((c) => c.id === ids[0])).toMatchObject({ transport: "http", webhookId, trafficSourceWebhookId: null, attempts: 0, createdAt: NOW - 1000, tenantId: "default", publicEventId: `pub_${webhookId}_0` });
    expect(typeof first[0]!.lease).toBe("string");
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "leased", attempts: 0, nextAttemptAt: NOW + 30_000, leaseExpiresAt: NOW + 30_000 });
    expect(idsOf(await claim(h(), NOW, 10))).toEqual(ids.slice(3));
    expect(await claim(h(), NOW + 1000, 10)).toEqual([]);
  });

  test("the batch carries each event body and webhook target once", async () => {
    const { webhookId } = await seed(h(), 2, { webhook: { previousSecret: "whsec_old", previousSecretExpiresAt: NOW + 5000 } });
    const batch = await h().store.queue.recordAndClaim([], { now: NOW, limit: 10, leaseMs: 30_000 });
    expect(batch.events.get(`evt_${webhookId}_0`)).toEqual({ body: '{"i":0}', traceParent: "00-abc-def-01" });
    expect(batch.events.get(`evt_${webhookId}_1`)).toEqual({ body: '{"i":1}', traceParent: null });
    expect([...batch.webhooks.values()]).toEqual([
      {
        id: webhookId, url: "https://example.com/in", active: true, secret: "whsec_a", previousSecret: "whsec_old", previousSecretExpiresAt: NOW + 5000,
        retrySchedule: null, timeoutMs: null, headers: null,
      },
    ]);
  });

  test("a webhook's delivery controls come with its target", async () => {
    const controls = { retrySchedule: '[1,1]', timeoutMs: 20_000, headers: '{"X-Key":"k1"}' };
    const own = await seed(h(), 1, { webhook: controls });
    const plain = await seed(h(), 1);
    const batch = await h().store.queue.recordAndClaim([], { now: NOW, limit: 10, leaseMs: 30_000 });
    expect(batch.webhooks.get(own.webhookId)).toMatchObject({ retrySchedule: [1, 1], timeoutMs: 20_000, headers: { "X-Key": "k1" } });
    expect(batch.webhooks.get(plain.webhookId)).toMatchObject({ retrySchedule: null, timeoutMs: null, headers: null });
    // A long own timeout needs no longer lease: the loop renews what it holds (docs/scaling.md).
    expect(await h().row("deliveries", own.ids[0]!)).toMatchObject({ leaseExpiresAt: NOW + 30_000 });
  });

  test("an expired lease makes the row due again (a crashed worker loses nothing)", async () => {
    const { ids } = await seed(h(), 1, { dueAt: NOW });
    expect(await claim(h(), NOW, 10, 5000)).toHaveLength(1);
    expect(await claim(h(), NOW + 4999, 10, 5000)).toHaveLength(0);
    expect(idsOf(await claim(h(), NOW + 5000, 10, 5000))).toEqual(ids);
    expect((await h().row("deliveries", ids[0]!))!.leaseExpiresAt).toBe(NOW + 10_000);
  });

  test("released leases are due at once; at start-up a node frees every lease it held", async () => {
    const { ids } = await seed(h(), 3, { dueAt: NOW });
    const claimed = await claim(h(), NOW + 5, 10, 60_000);
    expect(await h().store.queue.release(claimed.slice(0, 2), NOW + 10)).toBe(2);
    expect(await h().row("deliveries", claimed[0]!.id)).toMatchObject({ status: "pending", nextAttemptAt: NOW + 10, leaseExpiresAt: null });
    expect(await claim(h(), NOW + 10, 10, 60_000)).toHaveLength(2);
    expect(await h().store.queue.releaseOwnLeases(NOW + 20)).toBe(3);
    expect(idsOf(await claim(h(), NOW + 20, 10, 60_000))).toEqual(ids);
    expect(await h().store.queue.release([], NOW)).toBe(0);
  });
});

describeStores("DeliveryQueue outcomes", (h) => {
  test("delivered: counted, timed, logged, and the webhook's last success moves", async () => {
    const { ids, webhookId } = await seed(h(), 1);
    const [c] = await claim(h(), NOW, 10);
    await record(h(), [outcome(c!, { kind: "delivered", statusCode: 204, responseBody: "ok" })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "delivered", attempts: 1, deliveredAt: NOW + 15, lastStatusCode: 204, lastError: null, leaseExpiresAt: null, updatedAt: NOW + 15 });
    expect(await attemptsOf(h(), ids[0]!)).toEqual([{ attemptedAt: NOW + 10, durationMs: 5, statusCode: 204, responseBody: "ok", error: null }]);
    expect((await h().row("webhooks", webhookId))!.lastSuccessAt).toBe(NOW + 15);
    // The claim is spent: the same outcome again writes nothing more.
    await record(h(), [outcome(c!, { kind: "delivered", statusCode: 204 })]);
    expect(await attemptsOf(h(), ids[0]!)).toHaveLength(1);
  });

  test("retry: pending again at its next attempt, with the error; then claimable when due", async () => {
    const { ids } = await seed(h(), 1);
    const [c] = await claim(h(), NOW, 10);
    await record(h(), [outcome(c!, { kind: "retry", statusCode: 500, error: "HTTP 500", responseBody: "boom", nextAttemptAt: NOW + 60_000 })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: NOW + 60_000, lastStatusCode: 500, lastError: "HTTP 500", leaseExpiresAt: null });
    expect(await attemptsOf(h(), ids[0]!)).toEqual([{ attemptedAt: NOW + 10, durationMs: 5, statusCode: 500, responseBody: "boom", error: "HTTP 500" }]);
    expect(await claim(h(), NOW + 59_999, 10)).toEqual([]);
    expect(await claim(h(), NOW + 60_000, 10)).toMatchObject([{ id: ids[0], attempts: 1 }]);
  });

  test("exhausted: failed; the webhook is disabled only if it has been silent since the cut-off", async () => {
    const silent = await seed(h(), 1);
    const lively = await seed(h(), 1, { webhook: { lastSuccessAt: NOW - 100 } });
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    const exhausted = { kind: "exhausted" as const, statusCode: 500, error: "HTTP 500", disableIfSilentSince: NOW - 1000, silenceReason: "no success for 5 days" };
    await record(h(), [outcome(of(silent.ids[0]!), exhausted), outcome(of(lively.ids[0]!), exhausted)]);
    expect(await h().row("deliveries", silent.ids[0]!)).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 500" });
    expect(await h().row("webhooks", silent.webhookId)).toMatchObject({ active: false, disabledReason: "no success for 5 days", updatedAt: NOW + 15 });
    expect(await h().row("webhooks", lively.webhookId)).toMatchObject({ active: true, disabledReason: null });
  });

  test("a success in the same batch resets the auto-disable clock", async () => {
    const { ids, webhookId } = await seed(h(), 2);
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    await record(h(), [
      outcome(of(ids[0]!), { kind: "exhausted", error: "HTTP 500", disableIfSilentSince: NOW - 1000, silenceReason: "silent" }),
      outcome(of(ids[1]!), { kind: "delivered", statusCode: 200 }),
    ]);
    expect(await h().row("webhooks", webhookId)).toMatchObject({ active: true, lastSuccessAt: NOW + 15 });
  });

  test("gone: failed with the reason, the webhook disabled with it (the first reason stays)", async () => {
    const { ids, webhookId } = await seed(h(), 2);
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    await record(h(), [
      outcome(of(ids[0]!), { kind: "gone", statusCode: 410, reason: "the endpoint answered 410 Gone" }),
      outcome(of(ids[1]!), { kind: "gone", statusCode: 410, reason: "second" }),
    ]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410, lastError: "the endpoint answered 410 Gone" });
    expect(await h().row("webhooks", webhookId)).toMatchObject({ active: false, disabledReason: "the endpoint answered 410 Gone", updatedAt: NOW + 15 });
    expect(await attemptsOf(h(), ids[0]!)).toEqual([{ attemptedAt: NOW + 10, durationMs: 5, statusCode: 410, responseBody: null, error: null }]);
  });

  test("skipped: failed without an attempt counted or logged", async () => {
    const { ids } = await seed(h(), 1);
    const [c] = await claim(h(), NOW, 10);
    await record(h(), [outcome(c!, { kind: "skipped", error: "the webhook is disabled" })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "failed", attempts: 0, lastError: "the webhook is disabled" });
    expect(await attemptsOf(h(), ids[0]!)).toEqual([]);
  });

  test("deferred: pending again, attempts unchanged, nothing logged, says why unless it was attempted before", async () => {
    const { ids } = await seed(h(), 1, { dueAt: NOW });
    const [c] = await claim(h(), NOW, 10, 60_000);
    await record(h(), [outcome(c!, { kind: "deferred", error: "Not attempted yet", nextAttemptAt: NOW + 90_000 })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: NOW + 90_000, leaseExpiresAt: null, lastError: "Not attempted yet", updatedAt: NOW + 10 });
    expect(await attemptsOf(h(), ids[0]!)).toEqual([]);
    expect(await claim(h(), NOW + 89_999, 10)).toEqual([]);
    await h().update("deliveries", ids[0]!, { attempts: 1, lastError: "HTTP 500" });
    const [again] = await claim(h(), NOW + 90_000, 10);
    await record(h(), [outcome(again!, { kind: "deferred", error: "Not attempted yet", nextAttemptAt: NOW + 200_000 })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: NOW + 200_000, lastError: "HTTP 500" });
  });

  test("a row deleted while its attempt ran records nothing, and the rest of the batch still does", async () => {
    const { ids } = await seed(h(), 2);
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    const gone = of(ids[0]!);
    await h().update("deliveries", ids[0]!, { id: "dlv_renamed_away" }); // as good as deleted for its claim
    await record(h(), [outcome(gone, { kind: "delivered", statusCode: 200 }), outcome(of(ids[1]!), { kind: "delivered", statusCode: 200 })]);
    expect((await h().rows("deliveryAttempts")).map((r) => r.deliveryId)).toEqual([ids[1]]);
  });

  test("a response body with a NUL character is recorded, not refused", async () => {
    const { ids } = await seed(h(), 1);
    const [c] = await claim(h(), NOW, 10);
    await record(h(), [outcome(c!, { kind: "retry", statusCode: 500, responseBody: "a\u0000b", error: "HTTP 500", nextAttemptAt: NOW + 1000 })]);
    const [logged] = await attemptsOf(h(), ids[0]!);
    // PostgreSQL text cannot hold NUL: there it is replaced by U+FFFD.
    expect(["a\u0000b", "a\uFFFDb"]).toContain(logged!.responseBody as string);
  });

  test("outcomes and the next claim in one turn", async () => {
    const { ids } = await seed(h(), 3);
    const [first] = await claim(h(), NOW, 1);
    const batch = await h().store.queue.recordAndClaim([outcome(first!, { kind: "delivered", statusCode: 200 })], { now: NOW + 20, limit: 10, leaseMs: 30_000 });
    expect(idsOf(batch.deliveries)).toEqual(ids.slice(1));
    expect((await h().row("deliveries", first!.id))!.status).toBe("delivered");
  });
});

/** A tenant with a webhook subscribed to the operational events (through the store, so both keep its subscriptions). */
async function operationsWebhook(h: StoreHarness, tenantId: string, n: number) {
  if (tenantId !== "default") await h.insert("tenants", { id: tenantId, createdAt: NOW, updatedAt: NOW });
  const id = `whk_ops_${tenantId}_${n}`;
  await h.store.webhooks.create({ id, tenantId, url: `https://ops.example.com/${n}`, events: ["webhook.disabled", "delivery.exhausted"], metadataJson: "{}", secret: "whsec_ops", createdAt: NOW - 20_000 });
  return id;
}

/** The operational events written so far, each with its parsed body and the webhooks it is queued for. */
async function operationalEvents(h: StoreHarness) {
  const events = (await h.rows("events")).filter((e) => String(e.type).startsWith("webhook.") || String(e.type).startsWith("delivery."));
  const deliveries = await h.rows("deliveries");
  return events
    // By id, which increases in creation order (code points: localeCompare would fold case).
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1))
    .map((e) => ({
      type: e.type,
      tenantId: e.tenantId,
      body: JSON.parse(String(e.body)),
      to: deliveries.filter((d) => d.eventId === e.id).map((d) => ({ webhookId: d.webhookId, status: d.status })),
    }));
}

describeStores("DeliveryQueue operational events", (h) => {
  test("gone: delivery.exhausted and webhook.disabled in the webhook's tenant, queued for its subscribers in the same turn", async () => {
    const ops = await operationsWebhook(h(), "default", 1);
    await operationsWebhook(h(), "acme", 2); // another tenant hears nothing
    const { ids, webhookId } = await seed(h(), 2);
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    await record(h(), [
      outcome(of(ids[0]!), { kind: "gone", statusCode: 410, reason: "The endpoint answered 410 Gone" }),
      // A second 410 in the batch: its delivery is announced, the webhook is disabled (and announced) once.
      outcome(of(ids[1]!), { kind: "gone", statusCode: 410, error: "HTTP 410", reason: "The endpoint answered 410 Gone" }),
    ]);
    const events = await operationalEvents(h());
    expect(events.map((e) => [e.type, e.tenantId, e.to])).toEqual([
      ["delivery.exhausted", "default", [{ webhookId: ops, status: "pending" }]],
      ["delivery.exhausted", "default", [{ webhookId: ops, status: "pending" }]],
      ["webhook.disabled", "default", [{ webhookId: ops, status: "pending" }]],
    ]);
    const [first, , disabled] = events;
    expect(Object.keys(first!.body)).toEqual(["id", "type", "created_at", "data"]);
    expect(first!.body.created_at).toBe(new Date(NOW + 15).toISOString());
    expect(first!.body.data).toEqual({
      delivery_id: ids[0], event_id: `pub_${webhookId}_0`, event_type: "link.clicked", webhook_id: webhookId, url: "https://example.com/in",
      reason: "endpoint_gone", attempts: 1, last_status_code: 410, last_error: "The endpoint answered 410 Gone", failed_at: new Date(NOW + 15).toISOString(), tenant_id: "default",
    });
    expect(disabled!.body.data).toEqual({
      webhook_id: webhookId, url: "https://example.com/in", reason: "endpoint_gone", disabled_reason: "The endpoint answered 410 Gone",
      delivery_id: ids[0], last_status_code: 410, last_error: null, disabled_at: new Date(NOW + 15).toISOString(), tenant_id: "default",
    });
    // Claimable like any delivery: the next turn takes them.
    expect((await claim(h(), NOW + 20, 10)).map((c) => c.webhookId)).toEqual([ops, ops, ops]);
  });

  test("exhausted: delivery.exhausted always; webhook.disabled only when the silence disables it", async () => {
    const ops = await operationsWebhook(h(), "default", 1);
    const silent = await seed(h(), 1);
    const lively = await seed(h(), 1, { webhook: { lastSuccessAt: NOW - 100 } });
    const claimed = await claim(h(), NOW, 10);
    const of = (id: string) => claimed.find((c) => c.id === id)!;
    const exhausted = { kind: "exhausted" as const, statusCode: 500, error: "HTTP 500", disableIfSilentSince: NOW - 1000, silenceReason: "No successful delivery for 120 hours" };
    await record(h(), [outcome(of(silent.ids[0]!), exhausted), outcome(of(lively.ids[0]!), exhausted)]);
    const events = await operationalEvents(h());
    expect(events.map((e) => [e.type, e.body.data.webhook_id, e.body.data.reason])).toEqual([
      ["delivery.exhausted", silent.webhookId, "retries_exhausted"],
      ["delivery.exhausted", lively.webhookId, "retries_exhausted"],
      ["webhook.disabled", silent.webhookId, "no_success"],
    ]);
    expect(events[2]!.body.data).toMatchObject({ disabled_reason: "No successful delivery for 120 hours", delivery_id: silent.ids[0], last_status_code: 500, last_error: "HTTP 500" });
    expect(events.every((e) => e.to.length === 1 && e.to[0]!.webhookId === ops)).toBe(true);
  });

  test("with no subscriber in the tenant, nothing is written: no event nobody asked for", async () => {
    const { ids } = await seed(h(), 1);
    const [c] = await claim(h(), NOW, 10);
    await record(h(), [outcome(c!, { kind: "gone", statusCode: 410, reason: "The endpoint answered 410 Gone" })]);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "failed" });
    expect(await operationalEvents(h())).toEqual([]);
  });

  test("a delivery of an operational event that fails for good announces nothing: no chains", async () => {
    const ops = await operationsWebhook(h(), "default", 1);
    const other = await operationsWebhook(h(), "default", 2);
    const { ids } = await seed(h(), 1);
    let claimed = await claim(h(), NOW, 10);
    await record(h(), [outcome(claimed[0]!, { kind: "exhausted", statusCode: 500, error: "HTTP 500", disableIfSilentSince: NOW - 100_000, silenceReason: "silent" })]);
    expect((await operationalEvents(h())).map((e) => e.type)).toEqual(["delivery.exhausted"]);
    // Both subscribers' deliveries of it fail for good too, one of them gone: only the disable is announced, to the other.
    claimed = await claim(h(), NOW + 20, 10);
    expect(claimed.map((c) => c.webhookId).sort()).toEqual([ops, other].sort());
    const byHook = (id: string) => claimed.find((c) => c.webhookId === id)!;
    await record(h(), [
      outcome(byHook(ops), { kind: "gone", statusCode: 410, reason: "The endpoint answered 410 Gone" }),
      outcome(byHook(other), { kind: "exhausted", statusCode: 500, error: "HTTP 500", disableIfSilentSince: NOW - 100_000, silenceReason: "silent" }),
    ]);
    const events = await operationalEvents(h());
    expect(events.map((e) => [e.type, e.body.data.webhook_id ?? null])).toEqual([
      ["delivery.exhausted", (await h().row("deliveries", ids[0]!))!.webhookId],
      ["webhook.disabled", ops],
    ]);
    // The disabled webhook gets nothing; the other one gets its disable.
    expect(events[1]!.to).toEqual([{ webhookId: other, status: "pending" }]);
  });
});

describeStores("DeliveryQueue across nodes", (h) => {
  test("a node that stalled past its lease writes nothing once another node holds the row", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false); // one node per SQLite file
    const { ids } = await seed(h(), 1, { dueAt: NOW });
    const other = await h().otherNode();
    const [stale] = await claim(h(), NOW, 10, 1000);
    const [taken] = (await other.queue.recordAndClaim([], { now: NOW + 1000, limit: 10, leaseMs: 30_000 })).deliveries;
    expect(taken!.id).toBe(stale!.id);
    expect(taken!.lease).not.toBe(stale!.lease);
    await record(h(), [outcome(stale!, { kind: "retry", error: "late", nextAttemptAt: NOW + 5000 })]);
    expect(await h().store.queue.release([stale!], NOW + 1001)).toBe(0);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "leased", attempts: 0, leaseExpiresAt: NOW + 31_000 });
    await other.queue.recordAndClaim([outcome(taken!, { kind: "delivered", statusCode: 200 })], null);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(await attemptsOf(h(), ids[0]!)).toHaveLength(1);
  });

  test("renewing extends the leases still held; a lease another node took over is not renewed", async () => {
    const { ids } = await seed(h(), 2, { dueAt: NOW - 10 });
    const claimed = await claim(h(), NOW, 10, 1000);
    expect(await h().store.queue.renew(claimed, NOW + 900, 1000)).toBe(2);
    expect(await h().row("deliveries", ids[0]!)).toMatchObject({ status: "leased", leaseExpiresAt: NOW + 1900, nextAttemptAt: NOW + 1900 });
    expect(await claim(h(), NOW + 1500, 10)).toEqual([]); // renewed: not due again yet
    expect(await h().store.queue.renew([], NOW, 1000)).toBe(0);
    if (!h().sharedByNodes) return;
    const [taken] = (await (await h().otherNode()).queue.recordAndClaim([], { now: NOW + 2000, limit: 1, leaseMs: 30_000 })).deliveries;
    expect(await h().store.queue.renew(claimed, NOW + 2001, 1000)).toBe(1);
    expect(await h().row("deliveries", taken!.id)).toMatchObject({ leaseExpiresAt: NOW + 32_000 });
  });

  test("a restarted node frees the leases it held before it stopped, and no other node's", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false);
    const { ids } = await seed(h(), 3, { dueAt: NOW - 10 });
    const [a, b] = [await h().otherNode("node-a"), await h().otherNode("node-b")];
    const ofA = (await a.queue.recordAndClaim([], { now: NOW, limit: 2, leaseMs: 60_000 })).deliveries;
    const ofB = (await b.queue.recordAndClaim([], { now: NOW, limit: 2, leaseMs: 60_000 })).deliveries;
    expect(ofA.map((c) => c.lease.startsWith("node-a/"))).toEqual([true, true]);
    expect(ofB).toHaveLength(1);
    const restartedA = await h().otherNode("node-a");
    expect(await restartedA.queue.releaseOwnLeases(NOW + 5)).toBe(2);
    expect(await h().row("deliveries", ofB[0]!.id)).toMatchObject({ status: "leased" });
    expect(idsOf(await claim(h(), NOW + 5, 10, 60_000))).toEqual(ids.filter((id) => id !== ofB[0]!.id));
  });

  test("nodes claiming at once never hold the same row", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false);
    const { ids } = await seed(h(), 300);
    const nodes = [h().store, await h().otherNode(), await h().otherNode()];
    const holders = new Map<string, number>();
    await Promise.all(
      nodes.map(async (node) => {
        let pending: AttemptResult[] = [];
        for (;;) {
          const { deliveries } = await node.queue.recordAndClaim(pending, { now: NOW, limit: 7, leaseMs: 60_000 });
          if (deliveries.length === 0) return;
          for (const c of deliveries) holders.set(c.id, (holders.get(c.id) ?? 0) + 1);
          pending = deliveries.map((c) => outcome(c, { kind: "delivered", statusCode: 200 }));
        }
      }),
    );
    expect(holders.size).toBe(300);
    expect([...holders.values()].every((n) => n === 1)).toBe(true);
    // The last outcomes of each node were carried in its final (empty) claim's turn.
    const statuses = (await h().rows("deliveries")).filter((r) => ids.includes(r.id as string)).map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set(["delivered"]));
    expect(await h().rows("deliveryAttempts")).toHaveLength(300);
  }, 30_000);
});

describeStores("DeliveryQueue claim plan", (h) => {
  test("the claim walks the partial index of unfinished rows (its predicate is repeated)", async () => {
    const { client } = h().store as PostgresStore;
    await seed(h(), 3);
    const conn = await client.reserve();
    try {
      // A three-row table is read by a scan whatever the indexes; what matters is that the index can serve.
      await conn.unsafe("SET enable_seqscan = off");
      const { claim } = pgQueueStatements();
      const plan = await conn.unsafe(`EXPLAIN ${claim.text}`, claim.bind({ now: NOW, limit: 10, leaseUntil: NOW + 1000, lease: "lease" }));
      expect(plan.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join("\n")).toContain("deliveries_due_idx");
    } finally {
      await conn.unsafe("RESET enable_seqscan");
      conn.release();
    }
  });

  test("a fifo line's checks and its next row are seeks of deliveries_fifo_idx", async () => {
    const { client } = h().store as PostgresStore;
    await seedFifo(h(), 3);
    const conn = await client.reserve();
    try {
      await conn.unsafe("SET enable_seqscan = off");
      const { fifoBlockers } = pgQueueStatements();
      const plan = await conn.unsafe(`EXPLAIN ${fifoBlockers.text}`, fifoBlockers.bind({ ids: ["a"], webhookIds: ["w"], seqs: [5], now: NOW, lease: "l" }));
      const text = plan.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join("\n");
      expect(text.match(/deliveries_fifo_idx/g)?.length).toBe(3);
    } finally {
      await conn.unsafe("RESET enable_seqscan");
      conn.release();
    }
  });
}, { backends: ["postgres"] });

describeStores("DeliveryQueue claim plan", (h) => {
  test("a fifo line's checks and its next row are seeks of deliveries_fifo_idx, never a walk of the line", async () => {
    const sqlite = (h().store as unknown as SqliteStore).db.$client;
    const s = sqliteQueueStatements(sqlite);
    const planOf = (source: string, params: object) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${source}`).all(params) as { detail: string }[]).map((r) => r.detail);
    const blockers = planOf(s.fifoBlockers.source, { webhookId: "w", seq: 5, now: NOW, claimed: "[]" }).filter((d) => d.startsWith("SEARCH x"));
    expect(blockers).toEqual([
      "SEARCH x USING INDEX deliveries_fifo_idx (webhook_id=? AND status=? AND rowid<?)",
      "SEARCH x USING INDEX deliveries_fifo_idx (webhook_id=? AND status=? AND rowid<?)",
      "SEARCH x USING INDEX deliveries_fifo_idx (webhook_id=? AND status=?)",
    ]);
    expect(planOf(s.promote.source, { webhookId: "w", at: NOW })).toContain("SEARCH x USING COVERING INDEX deliveries_fifo_idx (webhook_id=? AND status=?)");
  });
}, { backends: ["sqlite"] });

/** A webhook with `ordering: "fifo"` and its rows in its line (as enqueue writes them). */
const seedFifo = (h: StoreHarness, n: number, dueAt = NOW - 1000) => seed(h, n, { dueAt, fifo: true, webhook: { ordering: "fifo" } });

describeStores("DeliveryQueue delivery controls: fifo", (h) => {
  test("only the head of a fifo line is claimed; the rest go back (not attempts) until it finishes, then the next is due at once", async () => {
    const line = await seedFifo(h(), 3);
    const free = await seed(h(), 3);
    const first = await h().store.queue.recordAndClaim([], { now: NOW, limit: 10, leaseMs: 30_000 });
    // The unordered webhook's rows go as before, all at once.
    expect(idsOf(first.deliveries)).toEqual([line.ids[0]!, ...free.ids].sort());
    expect(first.putBack).toBe(2);
    expect(first.wakeAt).toBe(NOW + 30_000);
    for (const id of line.ids.slice(1)) {
      expect(await h().row("deliveries", id)).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: NOW + 30_000, leaseExpiresAt: null, lastError: null });
    }
    const head = first.deliveries.find((c) => c.id === line.ids[0])!;
    // A failing head holds the others, retrying on its own schedule.
    await record(h(), [outcome(head, { kind: "retry", error: "HTTP 500", statusCode: 500, nextAttemptAt: NOW + 100 })]);
    expect(await claim(h(), NOW + 50, 10)).toEqual([]);
    const again = await claim(h(), NOW + 100, 10);
    expect(idsOf(again)).toEqual([line.ids[0]!]);
    // Its success makes the next one due at once (not at the end of the head's lease).
    const done = await record(h(), [outcome(again[0]!, { kind: "delivered", statusCode: 200 })]);
    expect(done.wakeAt).toBeDefined();
    expect((await h().row("deliveries", line.ids[1]!))!.nextAttemptAt).toBe(NOW + 15);
    expect(idsOf(await claim(h(), NOW + 200, 10))).toEqual([line.ids[1]!]);
    expect(await attemptsOf(h(), line.ids[1]!)).toEqual([]);
    expect(await attemptsOf(h(), line.ids[2]!)).toEqual([]);
  });

  test("an exhausted head lets the next go; a skipped one too", async () => {
    const line = await seedFifo(h(), 3);
    const [head] = await claim(h(), NOW, 10);
    await record(h(), [outcome(head!, { kind: "exhausted", error: "HTTP 500", statusCode: 500, disableIfSilentSince: 0, silenceReason: "silent" })]);
    const [second] = await claim(h(), NOW + 20, 10);
    expect(second!.id).toBe(line.ids[1]!);
    await record(h(), [outcome(second!, { kind: "skipped", error: "Webhook is disabled" })]);
    expect(idsOf(await claim(h(), NOW + 20, 10))).toEqual([line.ids[2]!]);
  });

  test("a row in flight holds an earlier one that came back (a manual retry) until it finishes; then that one goes first", async () => {
    const line = await seedFifo(h(), 3);
    const [a] = await claim(h(), NOW, 10);
    await record(h(), [outcome(a!, { kind: "exhausted", error: "HTTP 500", statusCode: 500, disableIfSilentSince: 0, silenceReason: "silent" })]);
    const [b] = await claim(h(), NOW + 20, 10, 30_000);
    expect(b!.id).toBe(line.ids[1]!);
    // The failed head is retried by hand: pending again, due now, earlier in the line than b.
    await h().update("deliveries", line.ids[0]!, { status: "pending", nextAttemptAt: NOW + 30, attempts: 0 });
    const held = await h().store.queue.recordAndClaim([], { now: NOW + 30, limit: 10, leaseMs: 30_000 });
    expect(held.deliveries).toEqual([]);
    expect(held.putBack).toBe(1);
    // Back until b's lease ends, unless b finishes first.
    expect((await h().row("deliveries", line.ids[0]!))!.nextAttemptAt).toBe(NOW + 20 + 30_000);
    await record(h(), [outcome(b!, { kind: "delivered", statusCode: 200 })]);
    expect(idsOf(await claim(h(), NOW + 40, 10))).toEqual([line.ids[0]!]);
  });

  test("an expired lease of the head is claimed again, and still holds the rest", async () => {
    const line = await seedFifo(h(), 2);
    await claim(h(), NOW, 10, 1000);
    const again = await claim(h(), NOW + 1000, 10, 1000);
    expect(idsOf(again)).toEqual([line.ids[0]!]);
  });

  test("two nodes claiming at once never both hold rows of one fifo line, and the line goes in publish order", async () => {
    if (!h().sharedByNodes) return void expect(h().sharedByNodes).toBe(false); // one node per SQLite file
    const line = await seedFifo(h(), 12);
    const free = await seed(h(), 20);
    const nodes = [h().store, await h().otherNode(), await h().otherNode()];
    const order: string[] = [];
    let now = NOW;
    for (let round = 0; round < 200 && order.length < 12; round++) {
      now += 20;
      const batches = await Promise.all(nodes.map((node) => node.queue.recordAndClaim([], { now, limit: 4, leaseMs: 60_000 })));
      const held = batches.flatMap((b) => b.deliveries).filter((c) => c.webhookId === line.webhookId);
      expect(held.length).toBeLessThanOrEqual(1);
      // Every row of the line a node holds is its head: nothing else of the line is leased.
      const leased = (await h().rows("deliveries")).filter((r) => r.webhookId === line.webhookId && r.status === "leased");
      expect(leased.length).toBe(held.length);
      for (const [i, batch] of batches.entries()) {
        const mine = batch.deliveries.filter((c) => c.webhookId !== free.webhookId);
        for (const c of mine) order.push(c.id);
        const results = batch.deliveries.map((c) => ({ ...outcome(c, { kind: "delivered", statusCode: 200 }), attemptedAt: now, durationMs: 1 }));
        if (results.length > 0) await nodes[i]!.queue.recordAndClaim(results, null);
      }
    }
    expect(order).toEqual(line.ids);
  }, 30_000);
});

describeStores("DeliveryQueue delivery controls: rate_limit", (h) => {
  /** Claims every `stepMs` from `nodes` (all at once), records each claimed row delivered; the claim time of each row. */
  async function drive(nodes: StoreHarness["store"][], webhookId: string, total: number, stepMs: number, untilMs: number) {
    const claimedAt: number[] = [];
    for (let now = NOW; now <= NOW + untilMs && claimedAt.length < total; now += stepMs) {
      const batches = await Promise.all(nodes.map((node) => node.queue.recordAndClaim([], { now, limit: 10, leaseMs: 60_000 })));
      for (const [i, batch] of batches.entries()) {
        for (const c of batch.deliveries) if (c.webhookId === webhookId) claimedAt.push(now);
        const results = batch.deliveries.map((c) => ({ ...outcome(c, { kind: "delivered", statusCode: 200 }), attemptedAt: now, durationMs: 1 }));
        if (results.length > 0) await nodes[i]!.queue.recordAndClaim(results, null);
      }
    }
    return claimedAt;
  }

  /** The most rows claimed within any window of `windowMs`. */
  function busiestWindow(times: number[], windowMs: number): number {
    const sorted = [...times].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= windowMs) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  test("a claim takes a rate-limited webhook's rows at its rate; the rest go back due at their slot, not attempts", async () => {
    const limited = await seed(h(), 30, { dueAt: NOW - 100, webhook: { rateLimit: 10 } });
    const free = await seed(h(), 30, { dueAt: NOW - 100 });
    const first = await h().store.queue.recordAndClaim([], { now: NOW, limit: 60, leaseMs: 60_000 });
    expect(first.deliveries.filter((c) => c.webhookId === free.webhookId)).toHaveLength(30);
    expect(first.deliveries.filter((c) => c.webhookId === limited.webhookId)).toHaveLength(1);
    expect(first.putBack).toBe(29);
    // Estimated slots: one every 100 ms after the one admitted.
    expect(first.wakeAt).toBe(NOW + 100);
    const back = (await h().rows("deliveries")).filter((r) => r.webhookId === limited.webhookId && r.status === "pending");
    expect(back.map((r) => r.nextAttemptAt).sort((a, b) => Number(a) - Number(b)).slice(0, 3)).toEqual([NOW + 100, NOW + 200, NOW + 300]);
    expect(back.every((r) => r.attempts === 0 && r.lastError === null)).toBe(true);
    expect((await h().rows("deliveryAttempts")).length).toBe(0);
    // Nothing more before the next slot, even asked for.
    expect((await claim(h(), NOW + 99, 60)).length).toBe(0);
    expect((await claim(h(), NOW + 100, 60)).length).toBe(1);
  });

  test("every row arrives, at most the limit in any second (one node, or several sharing the database)", async () => {
    const { webhookId } = await seed(h(), 60, { dueAt: NOW - 100, webhook: { rateLimit: 20 } });
    const nodes = h().sharedByNodes ? [h().store, await h().otherNode()] : [h().store];
    const claimedAt = await drive(nodes, webhookId, 60, 10, 6_000);
    expect(claimedAt).toHaveLength(60);
    expect(busiestWindow(claimedAt, 1000)).toBeLessThanOrEqual(21);
    // It used the rate: 60 rows at 20 a second take about three seconds, not much more.
    expect(claimedAt.at(-1)! - NOW).toBeLessThan(4_000);
    const rows = (await h().rows("deliveries")).filter((r) => r.webhookId === webhookId);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1)).toBe(true);
  }, 60_000);
});
