// EventLogStore (src/db/aggregates/event-log.ts) as a contract: the same cases against both
// stores of test/helpers/store-backends.ts, over rows seeded directly (events sharing a
// millisecond are seeded in id order, so both stores break the tie alike).
import { expect, test } from "bun:test";
import type { EventFilters, EventRecord } from "../src/db/aggregates/event-log";
import { describeStores, type StoreHarness } from "./helpers/store-backends";

const T0 = 1_767_225_600_000;

interface Seeded extends EventRecord {
  id: string;
}

/** 20 acme events (two to a millisecond, two types), 2 globex ones; acme's evt_03 has no public id of its own. */
async function seed(h: StoreHarness): Promise<Seeded[]> {
  for (const id of ["acme", "globex"]) await h.insert("tenants", { id, createdAt: T0, updatedAt: T0 });
  const rows: Seeded[] = [];
  for (let i = 0; i < 22; i++) {
    const id = `evt_${String(i).padStart(2, "0")}`;
    const row: Seeded = { id, publicId: i === 3 ? id : `order-${i}`, type: i % 3 === 0 ? "order.paid" : "order.created", createdAt: T0 + Math.floor(i / 2), tenantId: i < 20 ? "acme" : "globex" };
    await h.insert("events", { id, type: row.type, body: `{"n": ${i}}`, createdAt: row.createdAt, tenantId: row.tenantId, publicId: i === 3 ? null : row.publicId });
    rows.push(row);
  }
  return rows;
}

const newestFirst = (rows: Seeded[]) => [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map(({ id: _, ...e }) => e);

async function walkAll(h: StoreHarness, tenantId: string, filters: EventFilters, limit: number): Promise<EventRecord[]> {
  const seen: EventRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await h.store.eventLog.list(tenantId, filters, { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    expect(page.hasMore).toBe(page.nextCursor !== null);
    seen.push(...page.items);
    if (!page.nextCursor) return seen;
    expect(h.store.cursors.isOwn(page.nextCursor)).toBe(true);
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}

describeStores("EventLogStore", (h) => {
  test("list: one tenant's events newest first, by type and time range, in pages", async () => {
    const rows = await seed(h());
    const cases: [EventFilters, (r: Seeded) => boolean][] = [
      [{}, () => true],
      [{ type: "order.paid" }, (r) => r.type === "order.paid"],
      [{ since: T0 + 2, until: T0 + 6 }, (r) => r.createdAt >= T0 + 2 && r.createdAt < T0 + 6],
      [{ type: "order.created", since: T0 + 5 }, (r) => r.type === "order.created" && r.createdAt >= T0 + 5],
      [{ type: "none" }, () => false],
    ];
    for (const [filters, matches] of cases) {
      const expected = newestFirst(rows.filter((r) => r.tenantId === "acme" && matches(r)));
      for (const limit of [1, 3, 100]) expect({ filters, limit, events: await walkAll(h(), "acme", filters, limit) }).toEqual({ filters, limit, events: expected });
    }
    expect((await walkAll(h(), "globex", {}, 10)).map((e) => e.publicId)).toEqual(["order-21", "order-20"]);
    expect(await h().store.eventLog.list("nobody", {}, { limit: 10 })).toEqual({ items: [], nextCursor: null, hasMore: false });
  });

  test("get: the event by its public id with its body and first deliveries, oldest first, and how many it has", async () => {
    await seed(h());
    await h().insert("webhooks", { id: "whk_1", url: "https://example.com/in", events: "[]", secret: "s", createdAt: T0, updatedAt: T0, tenantId: "acme" });
    for (const [id, createdAt] of [["dlv_c", T0 + 2], ["dlv_a", T0 + 1], ["dlv_b", T0 + 1]] as const) {
      await h().insert("deliveries", { id, eventId: "evt_05", transport: "http", webhookId: "whk_1", status: "pending", nextAttemptAt: createdAt, createdAt, updatedAt: createdAt, tenantId: "acme" });
    }
    const found = (await h().store.eventLog.get("acme", "order-5", 2))!;
    expect(found.event).toEqual({ publicId: "order-5", type: "order.created", createdAt: T0 + 2, tenantId: "acme" });
    expect(found.body).toBe('{"n": 5}');
    expect(found.deliveriesTotal).toBe(3);
    expect(found.deliveries.map((d) => d.id)).toEqual(["dlv_a", "dlv_b"]);
    expect(found.deliveries[0]).toEqual({
      id: "dlv_a", eventId: "order-5", tenantId: "acme", eventType: "order.created", webhookId: "whk_1", status: "pending", attempts: 0,
      nextAttemptAt: T0 + 1, lastStatusCode: null, lastError: null, createdAt: T0 + 1, updatedAt: T0 + 1, deliveredAt: null,
    });
    expect(await h().store.eventLog.get("acme", "order-6", 10)).toEqual({
      event: { publicId: "order-6", type: "order.paid", createdAt: T0 + 3, tenantId: "acme" }, body: '{"n": 6}', deliveries: [], deliveriesTotal: 0,
    });
    expect(await h().store.eventLog.get("globex", "order-5", 10)).toBeNull();
    expect(await h().store.eventLog.get("acme", "order-404", 10)).toBeNull();
  });

  test("an event stored without a public id is listed under its own id", async () => {
    await seed(h());
    const page = await h().store.eventLog.list("acme", { since: T0 + 1, until: T0 + 2 }, { limit: 10 });
    expect(page.items.map((e) => e.publicId)).toEqual(["evt_03", "order-2"]);
  });
});
