// migratePostgres on a real PostgreSQL cluster: several nodes starting at the same instant on
// an empty database apply the migrations once, under the start-up advisory lock, and none fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migratePostgres, PG_MIGRATIONS_DIR, STARTUP_LOCK_KEY, withStartupLock } from "../src/db/postgres/migrate";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres";

const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
const MIGRATIONS = journal.entries.length;

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
}, 30_000);
afterAll(() => pg?.stop());

async function withClient<T>(url: string, work: (client: SQL) => Promise<T>): Promise<T> {
  const client = new SQL({ url, max: 1, connectionTimeout: 10 });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

describe("migratePostgres", () => {
  test("three nodes at the same instant on an empty database: applied once, no error", async () => {
    const url = await pg.createDatabase();
    const outcomes = await Promise.all([1, 2, 3].map(() => migratePostgres(url)));

    // One node applied every migration; the others waited for the lock and found nothing to do.
    expect(outcomes.map((o) => o.applied).sort()).toEqual([0, 0, MIGRATIONS]);
    expect(outcomes.every((o) => o.total === MIGRATIONS)).toBe(true);
    await withClient(url, async (client) => {
      const recorded = await client`SELECT hash FROM drizzle.__drizzle_migrations`;
      expect(recorded.length).toBe(MIGRATIONS);
      expect(new Set(recorded.map((r: { hash: string }) => r.hash)).size).toBe(MIGRATIONS);
      const tenants = await client`SELECT id, name, metadata FROM tenants`;
      expect([...tenants]).toEqual([{ id: "default", name: "Default tenant", metadata: "{}" }]);
      // Nobody holds the start-up lock once every node is done.
      const [held] = await client`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted`;
      expect(held.n).toBe(0);
    });
  }, 30_000);

  test("a node started on an up-to-date database applies nothing and keeps the data", async () => {
    const url = await pg.createDatabase();
    expect(await migratePostgres(url)).toEqual({ applied: MIGRATIONS, total: MIGRATIONS });
    await withClient(url, (c) => c`UPDATE tenants SET name = 'Renamed' WHERE id = 'default'`);
    expect(await migratePostgres(url)).toEqual({ applied: 0, total: MIGRATIONS });
    await withClient(url, async (c) => expect([...(await c`SELECT name FROM tenants`)]).toEqual([{ name: "Renamed" }]));
  }, 30_000);

  test("every table of the schema exists, with the partial due index the claim can use", async () => {
    const url = await pg.createDatabase();
    await migratePostgres(url);
    await withClient(url, async (c) => {
      const tables = (await c`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`).map((r: { tablename: string }) => r.tablename);
      expect(tables).toEqual([
        "api_keys", "deliveries", "delivery_attempts", "event_types", "events", "login_attempts", "login_known_addresses",
        "sessions", "tenants", "traffic_source_webhooks", "traffic_sources", "users", "webhook_event_types", "webhooks",
      ]);
      const [due] = await c`SELECT indexdef FROM pg_indexes WHERE indexname = 'deliveries_due_idx'`;
      expect(due.indexdef).toContain("(next_attempt_at) WHERE (status = ANY (ARRAY['pending'::text, 'leased'::text]))");
      // The claim's predicate matches the index's, so the planner can walk it (seq scans off:
      // an empty table would otherwise be scanned, which says nothing about the predicate).
      const plan = await c.begin(async (tx) => {
        await tx`SET LOCAL enable_seqscan = off`;
        return tx.unsafe(`EXPLAIN SELECT id FROM deliveries WHERE status IN ('pending', 'leased') AND next_attempt_at <= 0
                          ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED`);
      });
      expect(plan.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n")).toContain("deliveries_due_idx");
    });
  }, 30_000);

  test("a node waits a bounded time for another's lock, then says why it gives up", async () => {
    const url = await pg.createDatabase();
    await withClient(url, async (holder) => {
      await holder.unsafe(`SELECT pg_advisory_lock(${STARTUP_LOCK_KEY})`);
      const error = await migratePostgres(url, { lockTimeoutMs: 300 }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toBe("another node held the start-up lock of the database for more than 300 ms (migrating?); try again once it is done");
      await holder.unsafe(`SELECT pg_advisory_unlock(${STARTUP_LOCK_KEY})`);
    });
    // Nothing was applied by the node that gave up; the next start migrates.
    expect(await migratePostgres(url)).toEqual({ applied: MIGRATIONS, total: MIGRATIONS });
  }, 30_000);

  test("the lock is released when the work under it fails", async () => {
    const url = await pg.createDatabase();
    await withClient(url, async (client) => {
      const error = await withStartupLock(client, async () => {
        throw new Error("bootstrap failed");
      }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toBe("bootstrap failed");
    });
    expect((await migratePostgres(url, { lockTimeoutMs: 2_000 })).applied).toBe(MIGRATIONS);
  }, 30_000);

  test("a failing migration rolls back whole and leaves nothing recorded", async () => {
    const url = await pg.createDatabase();
    await withClient(url, (c) => c`CREATE TABLE users (taken int)`); // the init migration's CREATE TABLE users fails
    const error = await migratePostgres(url).then(() => undefined, (e: Error) => e);
    expect(String(error)).toContain("users");
    await withClient(url, async (c) => {
      const [row] = await c`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
      expect(row.n).toBe(0);
      expect((await c`SELECT to_regclass('public.tenants') AS t`)[0].t).toBeNull();
    });
  }, 30_000);
});
