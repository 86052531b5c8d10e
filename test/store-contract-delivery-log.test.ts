// DeliveryLogStore (src/db/aggregates/delivery-log.ts) as a contract: the same cases against both
// stores of test/helpers/store-backends.ts, over rows seeded directly. Pages are newest first with
// ties broken the same way on both (rows sharing a millisecond are seeded in id order, so SQLite's
// rowid and PostgreSQL's id agree); what test/log-stores.test.ts and
// test/delivery-log-pages.test.ts pin on SQLite holds on PostgreSQL too.
import { expect, test } from "bun:test";
import type { DeliveryFilters, DeliveryRecord, DeliveryStatus, LogPage } from "../src/db/aggregates/delivery-log";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const T0 = 1_767_225_600_000;
const STATUSES: DeliveryStatus[] = ["pending", "leased", "delivered", "failed"];

interface Seeded {
  id: string;
  webhookId: string;
  tenantId: string;
  status: DeliveryStatus;
  createdAt: number;
  eventType: string;
  publicId: string;
}

/**
 * Webhooks whk_a, whk_b (acme) and whk_g (globex); 30 acme deliveries, three to a millisecond,
 * newest last, of every status and two event types; 3 globex ones.
 */
async function seed(h: StoreHarness): Promise<Seeded[]> {
  for (const id of ["acme", "globex"]) await h.insert("tenants", { id, createdAt: T0, updatedAt: T0 });
  for (const [id, tenantId] of [["whk_a", "acme"], ["whk_b", "acme"], ["whk_g", "globex"]] as const) {
    await h.insert("webhooks", { id, url: "https://example.com/in", events: "[]", secret: "s", createdAt: T0, updatedAt: T0, tenantId });
  }
  const rows: Seeded[] = [];
  for (let i = 0; i < 33; i++) {
    const globex = i >= 30;
    const row: Seeded = {
      id: `dlv_${String(i).padStart(2, "0")}`,
      webhookId: globex ? "whk_g" : i % 3 === 0 ? "whk_b" : "whk_a",
      tenantId: globex ? "globex" : "acme",
      status: STATUSES[i % 4]!,
      createdAt: T0 + Math.floor(i / 3),
      eventType: i % 5 === 0 ? "link.created" : "link.clicked",
      publicId: `pub_${i}`,
    };
    await h.insert("events", { id: `evt_${String(i).padStart(2, "0")}`, type: row.eventType, body: `{"i":${i}}`, createdAt: row.createdAt, tenantId: row.tenantId, publicId: row.publicId });
    await h.insert("deliveries", {
      id: row.id, eventId: `evt_${String(i).padStart(2, "0")}`, transport: "http", webhookId: row.webhookId, status: row.status, attempts: i % 4,
      nextAttemptAt: row.createdAt + 60_000, leaseExpiresAt: row.status === "leased" ? T0 + 3_600_000 : null,
      createdAt: row.createdAt, updatedAt: row.createdAt, tenantId: row.tenantId, lastStatusCode: row.status === "failed" ? 500 : null,
    });
    rows.push(row);
  }
  return rows;
}

const newestFirst = (rows: Seeded[]) => [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);

async function walk(read: (cursor: string | undefined) => Promise<LogPage<DeliveryRecord> | null>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 200; pages++) {
    const page = (await read(cursor))!;
    expect(page.hasMore).toBe(page.nextCursor !== null);
    ids.push(...page.items.map((d) => d.id));
    if (!page.nextCursor) return { ids, pages };
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}

describeStores("DeliveryLogStore", (h) => {
  test("listForWebhook: every status filter and page size walks each row once, newest first", async () => {
    const rows = await seed(h());
    const log = h().store.deliveryLog;
    for (const webhookId of ["whk_a", "whk_b"]) {
      for (const status of [undefined, ...STATUSES]) {
        const expected = newestFirst(rows.filter((r) => r.webhookId === webhookId && (!status || r.status === status)));
        for (const limit of [1, 4, 100]) expect((await walk((cursor) => log.listForWebhook(webhookId, "acme", status, { limit, cursor }))).ids).toEqual(expected);
      }
    }
    const first = (await log.listForWebhook("whk_a", null, undefined, { limit: 2 }))!;
    expect(h().store.cursors.isOwn(first.nextCursor!)).toBe(true);
  });

  test("a delivery record has every field, the event's public id and type", async () => {
    await seed(h());
    const [record] = (await h().store.deliveryLog.listForWebhook("whk_b", null, "failed", { limit: 1 }))!.items;
    // dlv_27: whk_b (27 % 3 = 0), failed (27 % 4 = 3), at T0 + 9.
    expect(record).toEqual({
      id: "dlv_27", eventId: "pub_27", tenantId: "acme", eventType: "link.clicked", webhookId: "whk_b", status: "failed", attempts: 3,
      nextAttemptAt: T0 + 9 + 60_000, lastStatusCode: 500, lastError: null, createdAt: T0 + 9, updatedAt: T0 + 9, deliveredAt: null,
    });
  });

  test("another tenant's webhook and delivery are absent for an owner, present for a platform caller", async () => {
    await seed(h());
    const log = h().store.deliveryLog;
    expect(await log.listForWebhook("whk_g", "acme", undefined, { limit: 10 })).toBeNull();
    expect(await log.listForWebhook("whk_none", null, undefined, { limit: 10 })).toBeNull();
    expect((await log.listForWebhook("whk_g", null, undefined, { limit: 10 }))!.items).toHaveLength(3);
    expect(await log.get("dlv_30", "acme")).toBeNull();
    expect((await log.get("dlv_30", null))!.delivery.tenantId).toBe("globex");
    expect(await log.get("dlv_none", null)).toBeNull();
    expect(await log.search("acme", "acme", { webhookId: "whk_g" }, { limit: 10, window: 100 })).toBeNull();
    expect(await log.retry("dlv_30", "acme", T0)).toEqual({ kind: "missing" });
    expect(await log.recoverFailed("whk_g", "acme", 0, T0)).toEqual({ kind: "missing" });
    expect(await log.retryMatching("acme", "acme", { webhookId: "whk_g" }, { limit: 10, window: 100 }, T0)).toBeNull();
  });

  test("search: one tenant's rows, or one webhook's, within since/until, by status, event type and event id", async () => {
    const rows = await seed(h());
    const log = h().store.deliveryLog;
    const cases: [DeliveryFilters, (r: Seeded) => boolean][] = [
      [{}, (r) => r.tenantId === "acme"],
      [{ webhookId: "whk_b" }, (r) => r.webhookId === "whk_b"],
      [{ since: T0 + 3, until: T0 + 7 }, (r) => r.tenantId === "acme" && r.createdAt >= T0 + 3 && r.createdAt < T0 + 7],
      [{ status: "failed" }, (r) => r.tenantId === "acme" && r.status === "failed"],
      [{ eventType: "link.created", webhookId: "whk_a" }, (r) => r.webhookId === "whk_a" && r.eventType === "link.created"],
      [{ eventId: "pub_7" }, (r) => r.publicId === "pub_7"],
      [{ status: "pending", since: T0 + 2 }, (r) => r.tenantId === "acme" && r.status === "pending" && r.createdAt >= T0 + 2],
    ];
    for (const [filters, matches] of cases) {
      const expected = newestFirst(rows.filter(matches));
      for (const limit of [1, 3, 100]) {
        expect({ filters, limit, ids: (await walk((cursor) => log.search("acme", null, filters, { limit, cursor, window: 100 }))).ids }).toEqual({ filters, limit, ids: expected });
      }
    }
    // A platform caller naming another tenant's webhook walks that webhook.
    expect((await log.search("acme", null, { webhookId: "whk_g" }, { limit: 10, window: 100 }))!.items.map((d) => d.id)).toEqual(["dlv_32", "dlv_31", "dlv_30"]);
  });

  test("search: a window shorter than a page ends it early with a cursor after the window's last row", async () => {
    const rows = await seed(h());
    const log = h().store.deliveryLog;
    const acme = newestFirst(rows.filter((r) => r.tenantId === "acme"));
    const failed = newestFirst(rows.filter((r) => r.tenantId === "acme" && r.status === "failed"));
    // The first window is the newest 5 rows, dlv_29 to dlv_25, of which only dlv_27 is failed.
    const first = (await log.search("acme", null, { status: "failed" }, { limit: 10, window: 5 }))!;
    expect(first.items.map((d) => d.id)).toEqual(failed.filter((id) => acme.indexOf(id) < 5));
    expect(first.hasMore).toBe(true);
    // Walking window by window finds every match once, in order, in as many requests as windows.
    const walked = await walk((cursor) => log.search("acme", null, { status: "failed" }, { limit: 10, window: 5, cursor }));
    expect(walked.ids).toEqual(failed);
    expect(walked.pages).toBe(7);
    // Nothing matches: empty pages that go on, then the end.
    const none = (await log.search("acme", null, { eventType: "uptime.down" }, { limit: 10, window: 2 }))!;
    expect(none).toMatchObject({ items: [], hasMore: true });
    expect(await log.search("acme", null, { eventType: "uptime.down" }, { limit: 10, window: 100, cursor: none.nextCursor! })).toEqual({ items: [], nextCursor: null, hasMore: false });
    // A page that fills inside the window ends at its own last row.
    const full = (await log.search("acme", null, { eventType: "link.clicked" }, { limit: 2, window: 10 }))!;
    const clicked = newestFirst(rows.filter((r) => r.tenantId === "acme" && r.eventType === "link.clicked"));
    expect(full.items.map((d) => d.id)).toEqual(clicked.slice(0, 2));
    const after = (await log.search("acme", null, { eventType: "link.clicked" }, { limit: 1, window: 10, cursor: full.nextCursor! }))!;
    expect(after.items.map((d) => d.id)).toEqual([clicked[2]!]);
  });

  test("get: the delivery with its attempts in the order they were made", async () => {
    await seed(h());
    for (const [attemptedAt, durationMs, statusCode, responseBody, error] of [
      [T0 + 2000, 3, 200, "ok", null],
      [T0 + 1000, 5, 503, "busy", "HTTP 503"],
      [T0 + 1000, 7, null, null, "timeout"],
    ] as const) {
      await h().insert("deliveryAttempts", { deliveryId: "dlv_01", attemptedAt, durationMs, statusCode, responseBody, error });
    }
    const found = (await h().store.deliveryLog.get("dlv_01", "acme"))!;
    expect(found.delivery).toMatchObject({ id: "dlv_01", eventId: "pub_1", eventType: "link.clicked", status: "leased" });
    expect(found.attempts).toEqual([
      { attemptedAt: T0 + 1000, durationMs: 5, statusCode: 503, responseBody: "busy", error: "HTTP 503" },
      { attemptedAt: T0 + 1000, durationMs: 7, statusCode: null, responseBody: null, error: "timeout" },
      { attemptedAt: T0 + 2000, durationMs: 3, statusCode: 200, responseBody: "ok", error: null },
    ]);
    expect((await h().store.deliveryLog.get("dlv_02", null))!.attempts).toEqual([]);
  });

  test("retry: in flight under a live lease, retried once it ran out; disabled webhook; a failed one is due now", async () => {
    await seed(h());
    const log = h().store.deliveryLog;
    const now = T0 + 60_000;
    // dlv_01 is leased until T0 + 1 h.
    expect(await log.retry("dlv_01", null, now)).toEqual({ kind: "in_flight" });
    const retried = await log.retry("dlv_01", "acme", T0 + 3_600_001);
    expect(retried).toMatchObject({ kind: "retried", delivery: { id: "dlv_01", status: "pending", nextAttemptAt: T0 + 3_600_001, updatedAt: T0 + 3_600_001, attempts: 1 } });
    expect(await h().row("deliveries", "dlv_01")).toMatchObject({ leaseExpiresAt: null, leaseToken: null });
    expect(await log.retry("dlv_03", null, now)).toMatchObject({ kind: "retried", delivery: { status: "pending", nextAttemptAt: now } });
    await h().update("webhooks", "whk_a", { active: false });
    expect(await log.retry("dlv_07", "acme", now)).toEqual({ kind: "webhook_disabled" });
    expect((await h().row("deliveries", "dlv_07"))!.status).toBe("failed");
    expect(await log.retry("dlv_none", null, now)).toEqual({ kind: "missing" });
  });

  test("retry: a traffic-source alert's delivery (no link webhook) is retried", async () => {
    await h().insert("users", { id: "usr_1", email: "a@example.com", passwordHash: "h", createdAt: T0, updatedAt: T0 });
    await h().insert("trafficSources", { id: "src_1", name: "API", ownerId: "usr_1", createdAt: T0, updatedAt: T0 });
    await h().insert("trafficSourceWebhooks", { id: "tsw_1", trafficSourceId: "src_1", type: "discord", level: "fatal", value: "123", createdAt: T0, updatedAt: T0 });
    await h().insert("events", { id: "evt_alert", type: "alert.fatal", body: "{}", createdAt: T0, publicId: "evt_alert", sourceId: "src_1" });
    await h().insert("deliveries", { id: "dlv_alert", eventId: "evt_alert", transport: "discord", trafficSourceWebhookId: "tsw_1", status: "failed", nextAttemptAt: T0, createdAt: T0, updatedAt: T0 });
    expect(await h().store.deliveryLog.retry("dlv_alert", null, T0 + 5)).toMatchObject({ kind: "retried", delivery: { webhookId: null, status: "pending", eventType: "alert.fatal" } });
  });

  test("recoverFailed: the webhook's failed deliveries since a time are due now; a disabled webhook recovers none", async () => {
    const rows = await seed(h());
    const log = h().store.deliveryLog;
    const since = T0 + 4;
    const expected = rows.filter((r) => r.webhookId === "whk_a" && r.status === "failed" && r.createdAt >= since).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(1);
    expect(await log.recoverFailed("whk_a", "acme", since, T0 + 99)).toEqual({ kind: "recovered", count: expected.length });
    for (const id of expected) expect(await h().row("deliveries", id)).toMatchObject({ status: "pending", nextAttemptAt: T0 + 99, updatedAt: T0 + 99 });
    expect(await log.recoverFailed("whk_a", null, since, T0 + 100)).toEqual({ kind: "recovered", count: 0 });
    await h().update("webhooks", "whk_b", { active: false });
    expect(await log.recoverFailed("whk_b", null, 0, T0)).toEqual({ kind: "webhook_disabled" });
  });

  test("retryMatching: the matches of one window are due now, in-flight rows and disabled webhooks' are skipped", async () => {
    const rows = await seed(h());
    const log = h().store.deliveryLog;
    await h().update("webhooks", "whk_b", { active: false });
    const now = T0 + 500;
    const outcome = (await log.retryMatching("acme", null, { status: "failed" }, { limit: 100, window: 100 }, now))!;
    const failed = rows.filter((r) => r.tenantId === "acme" && r.status === "failed");
    const due = failed.filter((r) => r.webhookId !== "whk_b").map((r) => r.id);
    expect(outcome).toEqual({ retried: due.length, skipped: failed.length - due.length, nextCursor: null, hasMore: false });
    for (const id of due) expect(await h().row("deliveries", id)).toMatchObject({ status: "pending", nextAttemptAt: now });
    // Leased rows match a status-less search but are never made due.
    const leased = rows.filter((r) => r.webhookId === "whk_a" && r.status === "leased").length;
    const all = (await log.retryMatching("acme", null, { webhookId: "whk_a" }, { limit: 100, window: 100 }, now + 1))!;
    expect(all.skipped).toBe(leased);
    expect(all.retried).toBe(rows.filter((r) => r.webhookId === "whk_a").length - leased);
    // At most `limit` a request, with a cursor to go on.
    const batch = (await log.retryMatching("acme", null, { status: "pending" }, { limit: 2, window: 100 }, now + 2))!;
    expect(batch).toMatchObject({ hasMore: true });
    expect(batch.retried + batch.skipped).toBe(2);
    expect(h().store.cursors.isOwn(batch.nextCursor!)).toBe(true);
  });
});
