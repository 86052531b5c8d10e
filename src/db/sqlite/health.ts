// The operations endpoints' reads on SQLite. Each count is a range of the (status,
// next_attempt_at) index; delivered rows (the bulk) are not counted, the attempt counters cover them.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { BacklogLimits, HealthStore, QueueGauges } from "../aggregates/health";
import { deliveries as d } from "../schema";
import { compile, param } from "./sql";

type Counts = Omit<QueueGauges, "oldestDueAt" | "backlog">;

export class SqliteHealth implements HealthStore {
  private readonly s;

  constructor(sqlite: Database) {
    const countOf = (status: "pending" | "leased" | "failed") => sql`(SELECT count(*) FROM ${d} WHERE ${d.status} = ${sql.raw(`'${status}'`)})`;
    const firstDue = (status: "pending" | "leased") =>
      sql`(SELECT min(${d.nextAttemptAt}) FROM ${d} WHERE ${d.status} = ${sql.raw(`'${status}'`)} AND ${d.nextAttemptAt} <= ${param("now")})`;
    this.s = {
      ping: compile(sqlite, sql`SELECT 1`),
      counts: compile(
        sqlite,
        sql`SELECT ${countOf("pending")} AS pending, ${countOf("leased")} AS leased, ${countOf("failed")} AS failed,
              (SELECT count(*) FROM ${d} WHERE ${d.status} = 'pending' AND ${d.nextAttemptAt} <= ${param("now")}) AS due`,
      ),
      // Two index seeks: the first pending row due, and the first lease that ran out (due again).
      oldestDue: compile(sqlite, sql`SELECT min(coalesce(p, l), coalesce(l, p)) FROM (SELECT ${firstDue("pending")} AS p, ${firstDue("leased")} AS l)`).pluck(),
      // Reads each due row (its webhook is not in the index), so only the longest-waiting ones.
      backlog: compile(
        sqlite,
        sql`SELECT hook AS webhookId, count(*) AS due FROM (
              SELECT ${d.webhookId} AS hook FROM ${d} WHERE ${d.status} = 'pending' AND ${d.nextAttemptAt} <= ${param("now")}
               ORDER BY ${d.nextAttemptAt} LIMIT ${param("scanLimit")})
            WHERE hook IS NOT NULL GROUP BY hook ORDER BY due DESC, hook LIMIT ${param("top")}`,
      ),
    };
  }

  async ping(): Promise<void> {
    this.s.ping.get();
  }

  async queueGauges(now: number, { top, scanLimit }: BacklogLimits): Promise<QueueGauges> {
    const counts = this.s.counts.get({ now }) as Counts;
    const oldestDueAt = this.s.oldestDue.get({ now }) as number | null;
    const backlog = this.s.backlog.all({ now, top, scanLimit }) as QueueGauges["backlog"];
    return { ...counts, oldestDueAt, backlog };
  }
}
