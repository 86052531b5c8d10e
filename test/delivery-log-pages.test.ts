// The delivery log's reads over rows written directly: every page of every filter, rows sharing
// a created_at, a cursor whose row was deleted since, and one delivery's attempts in order.
// (The routes run through the real loop in delivery-routes.test.ts.)
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { SqliteStore } from "../src/db/sqlite/store";
import { DELIVERY_STATUSES } from "../src/delivery-log/model";
import { getDelivery, listWebhookDeliveries } from "../src/delivery-log/service";
import { tempDir } from "./helpers/app";

const dir = tempDir();
const db = openDatabase(join(dir, "log.db"));
migrateDatabase(db);
const store = new SqliteStore(db);
afterAll(() => {
  closeDatabase(db);
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const sqlite = db.$client;
for (const id of ["whk_a", "whk_b"]) {
  sqlite.prepare(`INSERT INTO webhooks (id, url, events, active, metadata, secret, created_at, updated_at) VALUES (?, 'https://example.com/', '[]', 1, '{}', 's', ?, ?)`).run(id, T0, T0);
}
interface Row { id: string; webhookId: string; status: string; createdAt: number; rowid: number }
const rows: Row[] = [];
for (let i = 0; i < 40; i++) {
  const id = `dlv_${String(i).padStart(2, "0")}`;
  const webhookId = i % 4 === 0 ? "whk_b" : "whk_a";
  const status = DELIVERY_STATUSES[i % 4]!;
  // Three rows share each millisecond, and rowids do not follow creation within it.
  const createdAt = T0 + Math.floor((39 - i) / 3);
  sqlite.prepare(`INSERT INTO events (id, type, body, created_at) VALUES (?, 'link.clicked', '{}', ?)`).run(`evt_${i}`, createdAt);
  const { lastInsertRowid } = sqlite
    .prepare(`INSERT INTO deliveries (id, event_id, transport, webhook_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'http', ?, ?, 0, ?, ?, ?)`)
    .run(id, `evt_${i}`, webhookId, status, createdAt, createdAt, createdAt);
  rows.push({ id, webhookId, status, createdAt, rowid: Number(lastInsertRowid) });
}

/** What a walk must return: the webhook's rows, newest first, ties by rowid, highest first. */
const expected = (webhookId: string, status?: string) =>
  rows
    .filter((r) => r.webhookId === webhookId && (!status || r.status === status))
    .sort((a, b) => b.createdAt - a.createdAt || b.rowid - a.rowid)
    .map((r) => r.id);

async function walk(webhookId: string, limit: number, status?: (typeof DELIVERY_STATUSES)[number]): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listWebhookDeliveries(store, webhookId, { limit: String(limit), cursor, status });
    ids.push(...page.data.map((d) => d.id));
    if (!page.pagination.next_cursor) return ids;
    cursor = page.pagination.next_cursor;
  }
  throw new Error("pagination did not end");
}

describe("delivery log pages", () => {
  test("every webhook, status filter and page size walks each row once, newest first", async () => {
    for (const webhookId of ["whk_a", "whk_b"]) {
      for (const status of [undefined, ...DELIVERY_STATUSES]) {
        for (const limit of [1, 4, 100]) expect(await walk(webhookId, limit, status)).toEqual(expected(webhookId, status));
      }
    }
  });

  test("a cursor whose row was deleted since goes on with the rows older than it", async () => {
    const first = await listWebhookDeliveries(store, "whk_a", { limit: "5" });
    const last = first.data.at(-1)!.id;
    const cursor = first.pagination.next_cursor!;
    const deleted = rows.find((r) => r.id === last)!;
    sqlite.prepare("DELETE FROM deliveries WHERE id = ?").run(last);
    const rest = (await listWebhookDeliveries(store, "whk_a", { limit: "100", cursor })).data.map((d) => d.id);
    // Without the row's created_at, the page continues by rowid alone.
    const older = rows.filter((r) => r.webhookId === "whk_a" && r.rowid < deleted.rowid).sort((a, b) => b.createdAt - a.createdAt || b.rowid - a.rowid);
    expect(rest).toEqual(older.map((r) => r.id));
    rows.splice(rows.indexOf(deleted), 1);
  });

  test("one delivery answers with its attempts in the order they were made", async () => {
    const insert = sqlite.prepare(
      `INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, response_body, error) VALUES ('dlv_01', ?, ?, ?, ?, ?)`,
    );
    insert.run(T0 + 2000, 3, 200, "ok", null);
    insert.run(T0 + 1000, 5, 503, "busy", "HTTP 503");
    const delivery = await getDelivery(store, "dlv_01");
    expect(delivery.id).toBe("dlv_01");
    expect(delivery.event_type).toBe("link.clicked");
    expect(delivery.attempt_log).toEqual([
      { attempted_at: "2026-01-01T00:00:01.000Z", duration_ms: 5, status_code: 503, response_body: "busy", error: "HTTP 503" },
      { attempted_at: "2026-01-01T00:00:02.000Z", duration_ms: 3, status_code: 200, response_body: "ok", error: null },
    ]);
    await expect(getDelivery(store, "dlv_missing")).rejects.toThrow("No delivery with id dlv_missing");
  });
});
