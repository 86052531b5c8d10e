// Retention on SQLite: failed and pending deliveries stay (they are visible and retryable); only
// their old attempt rows go. Small batches with a turn of the event loop between them, so
// neither the single writer nor the API is held for long, however large the first purge after
// an upgrade or a shorter RETENTION_DAYS is.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import { apiKeys as k, deliveries as d, deliveryAttempts as a, events as e } from "../schema";
import type { PurgeCounts, Retention } from "../store";
import { compile, param } from "./sql";

const BATCH = 2000;
const EXPIRED_PORTAL_KEPT_MS = 86_400_000;
const DAY_MS = 86_400_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SqliteRetention implements Retention {
  private readonly s;

  constructor(sqlite: Database) {
    const limit = sql.raw(String(BATCH));
    this.s = {
      deliveries: compile(
        sqlite,
        sql`DELETE FROM ${d} WHERE ${d.id} IN (SELECT ${d.id} FROM ${d} WHERE ${d.status} = 'delivered' AND ${d.deliveredAt} < ${param("before")} LIMIT ${limit})`,
      ),
      attempts: compile(sqlite, sql`DELETE FROM ${a} WHERE ${a.id} IN (SELECT ${a.id} FROM ${a} WHERE ${a.attemptedAt} < ${param("before")} LIMIT ${limit})`),
      events: compile(
        sqlite,
        sql`DELETE FROM ${e} WHERE ${e.id} IN (
              SELECT ${e.id} FROM ${e} WHERE ${e.createdAt} < ${param("before")}
                 AND NOT EXISTS (SELECT 1 FROM ${d} WHERE ${d.eventId} = ${e.id}) LIMIT ${limit})`,
      ),
      portalKeys: compile(
        sqlite,
        sql`DELETE FROM ${k} WHERE ${k.id} IN (SELECT ${k.id} FROM ${k} WHERE ${k.kind} = 'portal' AND ${k.expiresAt} < ${param("before")} LIMIT ${limit})`,
      ),
    };
  }

  async purgeExpired(retentionDays: number, now: number, keepGoing: () => boolean = () => true): Promise<PurgeCounts> {
    const cutoff = now - retentionDays * DAY_MS;
    const counts: PurgeCounts = { deliveries: 0, attempts: 0, events: 0, portalKeys: 0 };
    const drain = async (key: keyof PurgeCounts, before: number) => {
      while (keepGoing()) {
        const changes = this.s[key].run({ before }).changes;
        counts[key] += changes;
        if (changes < BATCH) return;
        await nextTurn();
      }
    };
    await drain("deliveries", cutoff);
    await drain("attempts", cutoff);
    await drain("events", cutoff);
    await drain("portalKeys", now - EXPIRED_PORTAL_KEPT_MS);
    return counts;
  }
}
