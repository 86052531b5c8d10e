// Retention on PostgreSQL: what ../sqlite/retention.ts purges, in the same small batches, and on
// one node at a time. Every node runs the schedule; a purge first takes a session advisory lock
// on a connection reserved for it (the lock belongs to that connection, so every batch runs on
// it too). A node that finds the lock taken purges nothing: another node is doing it. A node
// that dies mid-purge drops its connection, and the server frees the lock with it.
import type { SQL as BunSQL } from "bun";
import { sql } from "drizzle-orm";
import type { PurgeCounts, Retention } from "../store";
import { apiKeys as k, deliveries as d, deliveryAttempts as a, events as e } from "./schema";
import { compile, param } from "./sql";

const BATCH = 2000;
const EXPIRED_PORTAL_KEPT_MS = 86_400_000;
const DAY_MS = 86_400_000;

/** The advisory lock key of the retention purge ("hkrlpurg" in ASCII); see migrate.ts for start-up's. */
export const RETENTION_LOCK_KEY = "7524233412521325159";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class PostgresRetention implements Retention {
  private readonly s;

  constructor(private readonly client: BunSQL) {
    const limit = sql.raw(String(BATCH));
    const count = (statement: ReturnType<typeof sql>) => compile<{ n: number }>(sql`WITH gone AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM gone`);
    this.s = {
      lock: compile<{ locked: boolean }>(sql`SELECT pg_try_advisory_lock(${sql.raw(RETENTION_LOCK_KEY)}) AS locked`),
      unlock: compile(sql`SELECT pg_advisory_unlock(${sql.raw(RETENTION_LOCK_KEY)})`),
      deliveries: count(sql`DELETE FROM ${d} WHERE ${d.id} IN (SELECT ${d.id} FROM ${d} WHERE ${d.status} = 'delivered' AND ${d.deliveredAt} < ${param("before")} LIMIT ${limit})`),
      attempts: count(sql`DELETE FROM ${a} WHERE ${a.id} IN (SELECT ${a.id} FROM ${a} WHERE ${a.attemptedAt} < ${param("before")} LIMIT ${limit})`),
      events: count(
        sql`DELETE FROM ${e} WHERE ${e.id} IN (
              SELECT ${e.id} FROM ${e} WHERE ${e.createdAt} < ${param("before")}
                 AND NOT EXISTS (SELECT 1 FROM ${d} WHERE ${d.eventId} = ${e.id}) LIMIT ${limit})`,
      ),
      portalKeys: count(sql`DELETE FROM ${k} WHERE ${k.id} IN (SELECT ${k.id} FROM ${k} WHERE ${k.kind} = 'portal' AND ${k.expiresAt} < ${param("before")} LIMIT ${limit})`),
    };
  }

  async purgeExpired(retentionDays: number, now: number, keepGoing: () => boolean = () => true): Promise<PurgeCounts> {
    const cutoff = now - retentionDays * DAY_MS;
    const counts: PurgeCounts = { deliveries: 0, attempts: 0, events: 0, portalKeys: 0 };
    const conn = await this.client.reserve();
    try {
      const [lock] = await this.s.lock.run(conn);
      if (!lock?.locked) return counts;
      try {
        const drain = async (key: keyof PurgeCounts, before: number) => {
          while (keepGoing()) {
            const [row] = await this.s[key].run(conn, { before });
            const n = row?.n ?? 0;
            counts[key] += n;
            if (n < BATCH) return;
            await nextTurn();
          }
        };
        await drain("deliveries", cutoff);
        await drain("attempts", cutoff);
        await drain("events", cutoff);
        await drain("portalKeys", now - EXPIRED_PORTAL_KEPT_MS);
      } finally {
        await this.s.unlock.run(conn);
      }
      return counts;
    } finally {
      conn.release();
    }
  }
}
