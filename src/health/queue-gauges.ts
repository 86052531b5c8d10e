// Gauges read from the database at scrape time, so they hold for every process on the file.
// Each count is a range of the (status, next_attempt_at) index; delivered rows (the bulk) are
// not counted here, the attempt counters cover them.
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/client";
import { family, sample } from "../metrics/exposition";

/** Endpoints listed by hookrelay_webhook_due_deliveries: a bounded label count whatever the number of webhooks. */
export const BACKLOG_TOP = 10;
/**
 * The per-endpoint count reads each due row (its webhook is not in the index): it looks at the
 * longest-waiting rows only, so a scrape stays a few milliseconds with a backlog of millions.
 */
export const BACKLOG_SCAN_LIMIT = 100_000;

const statements = new WeakMap<Db, { counts: Statement; oldestDue: Statement; backlog: Statement }>();

function prepared(db: Db) {
  let s = statements.get(db);
  if (!s) {
    s = {
      counts: db.$client.prepare(
        `SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') AS pending,
                (SELECT count(*) FROM deliveries WHERE status = 'leased') AS leased,
                (SELECT count(*) FROM deliveries WHERE status = 'failed') AS failed,
                (SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= :now) AS due`,
      ),
      // Two index seeks: the first pending row due, and the first lease that ran out (due again).
      oldestDue: db.$client.prepare(
        `SELECT min(coalesce(p, l), coalesce(l, p)) AS oldest FROM
           (SELECT (SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= :now) AS p,
                   (SELECT min(next_attempt_at) FROM deliveries WHERE status = 'leased' AND next_attempt_at <= :now) AS l)`,
      ),
      backlog: db.$client.prepare(
        `SELECT webhook_id AS webhookId, count(*) AS due FROM (
           SELECT webhook_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= :now
            ORDER BY next_attempt_at LIMIT ${BACKLOG_SCAN_LIMIT})
          WHERE webhook_id IS NOT NULL GROUP BY webhook_id ORDER BY due DESC, webhook_id LIMIT ${BACKLOG_TOP}`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

export function queueGauges(db: Db, now = Date.now()): string {
  const s = prepared(db);
  const row = s.counts.get({ now }) as { pending: number; leased: number; failed: number; due: number };
  const oldest = s.oldestDue.get({ now }) as { oldest: number | null };
  const backlog = s.backlog.all({ now }) as { webhookId: string; due: number }[];
  return [
    family("hookrelay_delivery_queue_depth", "gauge", "Deliveries not finished yet (pending or leased).", [sample("hookrelay_delivery_queue_depth", {}, row.pending + row.leased)]),
    family("hookrelay_delivery_due", "gauge", "Pending deliveries whose next attempt is due now.", [sample("hookrelay_delivery_due", {}, row.due)]),
    family("hookrelay_deliveries", "gauge", "Deliveries by status (delivered rows are not counted; see the attempt counters).", [
      sample("hookrelay_deliveries", { status: "pending" }, row.pending),
      sample("hookrelay_deliveries", { status: "leased" }, row.leased),
      sample("hookrelay_deliveries", { status: "failed" }, row.failed),
    ]),
    family(
      "hookrelay_delivery_oldest_due_age_seconds",
      "gauge",
      "How long the longest-waiting due delivery has been due (0 when none is): grows when delivery falls behind.",
      [sample("hookrelay_delivery_oldest_due_age_seconds", {}, oldest.oldest === null ? 0 : Math.max(0, now - oldest.oldest) / 1000)],
    ),
    family(
      "hookrelay_webhook_due_deliveries",
      "gauge",
      `Due pending deliveries of the ${BACKLOG_TOP} webhooks with the most, counted among the ${BACKLOG_SCAN_LIMIT} longest-waiting due deliveries (the total is hookrelay_delivery_due).`,
      backlog.map((b) => sample("hookrelay_webhook_due_deliveries", { webhook_id: b.webhookId }, b.due)),
    ),
  ].join("");
}
