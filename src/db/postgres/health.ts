// The operations endpoints' reads on PostgreSQL, as ../sqlite/health.ts: the gauges hold for
// every node because every node reads them from the one database. The pending and leased counts
// and first due times walk the claim's index of unfinished rows (deliveries_due_idx), the failed
// count reads deliveries_failed_idx index-only; delivered rows, the bulk, are in neither. The
// backlog reads the webhook of its longest-waiting rows only.
import type { SQL as BunSQL } from "bun";
import { sql } from "drizzle-orm";
import type { BacklogLimits, HealthStore, QueueGauges } from "../aggregates/health";
import { deliveries as d } from "./schema";
import { compile, int8, int8OrNull, param } from "./sql";

interface GaugeRow {
  pending: string | number;
  leased: string | number;
  failed: string | number;
  due: string | number;
  oldest_due_at: string | number | null;
}

function statements() {
  const status = (name: "pending" | "leased" | "failed") => sql.raw(`'${name}'`);
  const countOf = (name: "pending" | "leased" | "failed") => sql`(SELECT count(*) FROM ${d} WHERE ${d.status} = ${status(name)})`;
  const firstDue = (name: "pending" | "leased") =>
    sql`(SELECT min(${d.nextAttemptAt}) FROM ${d} WHERE ${d.status} = ${status(name)} AND ${d.nextAttemptAt} <= ${param("now")}::int8)`;
  return {
    ping: compile(sql`SELECT 1`),
    // least() skips nulls: the earlier of the first pending row due and the first lease that ran out.
    gauges: compile<GaugeRow>(sql`
      SELECT ${countOf("pending")} AS pending, ${countOf("leased")} AS leased, ${countOf("failed")} AS failed,
             (SELECT count(*) FROM ${d} WHERE ${d.status} = 'pending' AND ${d.nextAttemptAt} <= ${param("now")}::int8) AS due,
             least(${firstDue("pending")}, ${firstDue("leased")}) AS oldest_due_at`),
    // Ties ordered by the ids' bytes (COLLATE "C"), as SQLite orders text, whatever the database's collation.
    backlog: compile<{ webhook_id: string; due: number }>(sql`
      SELECT hook AS webhook_id, count(*)::int AS due FROM (
        SELECT ${d.webhookId} AS hook FROM ${d} WHERE ${d.status} = 'pending' AND ${d.nextAttemptAt} <= ${param("now")}::int8
         ORDER BY ${d.nextAttemptAt} LIMIT ${param("scanLimit")}::int8) AS oldest
       WHERE hook IS NOT NULL GROUP BY hook ORDER BY due DESC, hook COLLATE "C" LIMIT ${param("top")}::int8`),
  };
}

export class PostgresHealth implements HealthStore {
  private readonly s = statements();

  constructor(private readonly client: BunSQL) {}

  async ping(): Promise<void> {
    await this.s.ping.run(this.client);
  }

  async queueGauges(now: number, { top, scanLimit }: BacklogLimits): Promise<QueueGauges> {
    // One snapshot (SQLite's three reads run with no write between them): the gauges agree with each other.
    const [row, backlog] = await this.client.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => [
      (await this.s.gauges.run(tx, { now }))[0]!,
      await this.s.backlog.run(tx, { now, top, scanLimit }),
    ]);
    return {
      pending: int8(row.pending),
      leased: int8(row.leased),
      failed: int8(row.failed),
      due: int8(row.due),
      oldestDueAt: int8OrNull(row.oldest_due_at),
      backlog: backlog.map((b) => ({ webhookId: b.webhook_id, due: b.due })),
    };
  }
}
