// What the PostgreSQL store will rely on from its driver, Drizzle over Bun's built-in SQL client
// (`drizzle-orm/bun-sql`), checked on a real cluster: exact text, integer mapping, transactions,
// ON CONFLICT on the partial idempotency index, claims with FOR UPDATE SKIP LOCKED from several
// clients, one-statement batch writes with unnest, and LISTEN/NOTIFY across connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/bun-sql";
import { migratePostgres } from "../src/db/postgres/migrate";
import * as schema from "../src/db/postgres/schema";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres";

let pg: TestPostgres;
let client: SQL;
let db: ReturnType<typeof drizzle<typeof schema>>;
beforeAll(async () => {
  pg = await startTestPostgres();
  await migratePostgres(pg.url);
  client = new SQL({ url: pg.url, max: 4 });
  db = drizzle({ client, schema });
}, 30_000);
afterAll(async () => {
  await client?.close();
  await pg?.stop();
});

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await Bun.sleep(5);
  return condition();
}

let seq = 0;
async function insertEvent(values: Partial<typeof schema.events.$inferInsert> = {}) {
  const id = values.id ?? `evt_${++seq}`;
  await db.insert(schema.events).values({ id, type: "order.created", body: "{}", createdAt: Date.now(), publicId: id, ...values });
  return id;
}

describe("rows as stored", () => {
  test("JSON text comes back byte for byte (jsonb would not)", async () => {
    const body = '{"type":"order.created",  "data":{"z":1.0,"a":[1e3, -0.0],"s":"é😀\\u0000\\"","n":12345678901234567890} }';
    const id = await insertEvent({ body });
    const [row] = await db.select({ body: schema.events.body }).from(schema.events).where(eq(schema.events.id, id));
    expect(row!.body).toBe(body);
    const [viaJsonb] = await client`SELECT ${body}::jsonb::text AS t`;
    expect(viaJsonb.t).not.toBe(body);
  });

  test("bigint times are numbers through Drizzle, strings in raw SQL; flags are booleans", async () => {
    const now = Date.now();
    await db.insert(schema.webhooks).values({ id: "whk_types", url: "https://example.com/h", events: '["link.created"]', secret: "s", createdAt: now, updatedAt: now });
    const [row] = await db.select().from(schema.webhooks).where(eq(schema.webhooks.id, "whk_types"));
    expect(row).toMatchObject({ createdAt: now, active: true, metadata: "{}", tenantId: "default" });
    const [raw] = await client`SELECT created_at, active FROM webhooks WHERE id = 'whk_types'`;
    expect(raw).toEqual({ created_at: String(now), active: true });
  });

  test("a NUL character is refused in text: the store must strip it from response bodies", async () => {
    const error = await insertEvent({ body: "a\u0000b" }).then(() => undefined, (e: Error) => e);
    expect(String((error as { cause?: unknown })?.cause)).toContain("invalid byte sequence");
  });
});

describe("writes", () => {
  test("a transaction that throws leaves nothing, and the pool keeps serving", async () => {
    const error = await db
      .transaction(async (tx) => {
        await tx.insert(schema.tenants).values({ id: "acme", createdAt: 1, updatedAt: 1 });
        throw new Error("abort");
      })
      .then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe("abort");
    expect(await db.select().from(schema.tenants).where(eq(schema.tenants.id, "acme"))).toEqual([]);
  });

  test("ON CONFLICT on the per-tenant idempotency key (partial index) keeps the first event", async () => {
    const insert = (id: string) =>
      db
        .insert(schema.events)
        .values({ id, type: "t", body: "{}", createdAt: 1, publicId: id, idempotencyKey: "key-1" })
        .onConflictDoNothing({ target: [schema.events.tenantId, schema.events.idempotencyKey], where: sql`${schema.events.idempotencyKey} is not null` })
        .returning({ id: schema.events.id });
    const results = await Promise.all([insert("evt_race_a"), insert("evt_race_b"), insert("evt_race_c")]);
    expect(results.flat().length).toBe(1);
    const kept = await db.select({ id: schema.events.id }).from(schema.events).where(and(eq(schema.events.tenantId, "default"), eq(schema.events.idempotencyKey, "key-1")));
    expect(kept).toEqual(results.flat());
  });

  test("claims from three clients with FOR UPDATE SKIP LOCKED never share a row; outcomes in one unnest statement", async () => {
    const eventId = await insertEvent();
    const now = Date.now();
    await client`INSERT INTO deliveries (id, event_id, transport, status, next_attempt_at, created_at, updated_at)
                 SELECT 'dlv_' || lpad(g::text, 5, '0'), ${eventId}, 'http', 'pending', ${now}, ${now}, ${now}
                 FROM generate_series(1, 3000) g`;
    const nodes = [1, 2, 3].map(() => new SQL({ url: pg.url, max: 2 }));
    const claims = new Map<string, number>();
    try {
      await Promise.all(
        nodes.map(async (node) => {
          for (;;) {
            const leaseUntil = Date.now() + 30_000;
            const rows = await node`
              UPDATE deliveries SET status = 'leased', next_attempt_at = ${leaseUntil}, lease_expires_at = ${leaseUntil}
              WHERE id IN (SELECT id FROM deliveries WHERE status IN ('pending', 'leased') AND next_attempt_at <= ${Date.now()}
                           ORDER BY next_attempt_at LIMIT 50 FOR UPDATE SKIP LOCKED)
              RETURNING id`;
            if (rows.length === 0) return;
            const ids = rows.map((r: { id: string }) => r.id);
            for (const id of ids) claims.set(id, (claims.get(id) ?? 0) + 1);
            await node`
              UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = o.code
              FROM unnest(${node.array(ids, "TEXT")}::text[], ${node.array(ids.map(() => 204), "INT")}::int[]) AS o(id, code)
              WHERE deliveries.id = o.id AND deliveries.status = 'leased'`;
          }
        }),
      );
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
    expect(claims.size).toBe(3000);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    const [left] = await client`SELECT count(*)::int AS n FROM deliveries WHERE status <> 'delivered' OR last_status_code <> 204`;
    expect(left.n).toBe(0);
  }, 30_000);

  test("Drizzle passes an array as one parameter with sql.param (not as a list)", async () => {
    const rows = await db.execute<{ id: string; n: string }>(sql`SELECT * FROM unnest(${sql.param(["a", "b"])}::text[], ${sql.param([1, 2 ** 40])}::bigint[]) AS u(id, n)`);
    expect([...rows]).toEqual([{ id: "a", n: "1" }, { id: "b", n: String(2 ** 40) }]);
  });
});

describe("LISTEN/NOTIFY", () => {
  test("a notification reaches a listener on another connection, in order, only once committed", async () => {
    const listener = new SQL({ url: pg.url, max: 1 });
    const got: string[] = [];
    const subscription = await listener.listen("hookrelay_wake", (payload) => got.push(payload));
    try {
      await client.begin(async (tx) => {
        await tx`SELECT pg_notify('hookrelay_wake', 'in-transaction')`;
        await Bun.sleep(50);
        expect(got).toEqual([]); // not before COMMIT
      });
      await client.begin(async (tx) => {
        await tx`SELECT pg_notify('hookrelay_wake', 'rolled-back')`;
        throw new Error("roll back"); // dropped with the transaction
      }).catch(() => {});
      for (let i = 0; i < 500; i++) await client.notify("hookrelay_wake", `n${i}`);
      expect(await until(() => got.length >= 501, 10_000)).toBe(true);
      expect(got).toEqual(["in-transaction", ...Array.from({ length: 500 }, (_, i) => `n${i}`)]);
    } finally {
      await subscription.unlisten();
      await listener.close();
    }
  }, 20_000);

  test("a listener whose connection is killed re-subscribes (its onlisten runs again) and hears what follows", async () => {
    const listener = new SQL({ url: pg.url, max: 1 });
    const got: string[] = [];
    let subscribed = 0;
    const subscription = await listener.listen("hookrelay_wake2", (p) => got.push(p), () => subscribed++);
    const admin = pg.admin();
    try {
      expect(subscribed).toBe(1);
      const killed = await admin`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query ILIKE 'LISTEN%hookrelay_wake2%'`;
      expect(killed.length).toBe(1);
      expect(await until(() => subscribed === 2, 10_000)).toBe(true);
      await client.notify("hookrelay_wake2", "after-reconnect");
      expect(await until(() => got.length === 1, 5_000)).toBe(true);
      expect(got).toEqual(["after-reconnect"]);
    } finally {
      await subscription.unlisten();
      await Promise.all([listener.close(), admin.close()]);
    }
  }, 20_000);
});
