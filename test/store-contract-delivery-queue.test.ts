// DeliveryQueue (src/db/store.ts) as a contract: the same cases against every store in
// test/helpers/store-backends.ts. Claims, leases, every kind of outcome and what it does to the
// row, the attempt log and the webhook; on a store several nodes share, that a claim is never
// held by two nodes and that a stalled node's late outcome writes nothing.
import { expect, test } from "bun:test";
import { statements as pgQueueStatements } from "../src/db/postgres/delivery-queue";
import { PostgresStore } from "../src/db/postgres/store";
import type { AttemptResult, ClaimedDelivery } from "../src/db/store";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const NOW = 1_700_000_000_000;

async function seed(h: StoreHarness, n: number, options: { dueAt?: number; webhook?: Record<string, unknown> } = {}) {
  const webhookId = `whk_${crypto.randomUUID().slice(0, 8)}`;
  await h.insert("webhooks", { id: webhookId, url: "https://example.com/in", events: '["link.clicked"]', secret: "whsec_a", createdAt: NOW - 10_000, updatedAt: NOW - 10_000, ...options.webhook });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const eventId = `evt_${webhookId}_${i}`;
    await h.insert("events", { id: eventId, type: "link.clicked", body: `{"i":${i}}`, createdAt: NOW - 1000 + i, publicId: `pub_${webhookId}_${i}`, traceParent: i === 0 ? "00-abc-def-01" : null });
    const id = `dlv_${webhookId}_${String(i).padStart(3, "0")}`;
    await h.insert("deliveries", { id, eventId, transport: "http", webhookId, status: "pending", nextAttemptAt: (options.dueAt ?? NOW - 1000) + i, createdAt: NOW - 1000 + i, updatedAt: NOW - 1000 + i });
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
      { id: webhookId, url: "https://example.com/in", active: true, secret: "whsec_a", previousSecret: "whsec_old", previousSecretExpiresAt: NOW + 5000 },
    ]);
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
}, { backends: ["postgres"] });
