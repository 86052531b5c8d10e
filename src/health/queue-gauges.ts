// Gauges read from the database at scrape time. Each count is a range of the
// (status, next_attempt_at) index; delivered rows (the bulk) are not counted here, the
// attempt counters cover them.
import type { Db } from "../db/client";

export function queueGauges(db: Db): string {
  const row = db.$client
    .prepare(
      `SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') AS pending,
              (SELECT count(*) FROM deliveries WHERE status = 'leased') AS leased,
              (SELECT count(*) FROM deliveries WHERE status = 'failed') AS failed,
              (SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?) AS due`,
    )
    .get(Date.now()) as { pending: number; leased: number; failed: number; due: number };
  return [
    "# HELP hookrelay_delivery_queue_depth Deliveries not finished yet (pending or leased).",
    "# TYPE hookrelay_delivery_queue_depth gauge",
    `hookrelay_delivery_queue_depth ${row.pending + row.leased}`,
    "# HELP hookrelay_delivery_due Pending deliveries whose next attempt is due now.",
    "# TYPE hookrelay_delivery_due gauge",
    `hookrelay_delivery_due ${row.due}`,
    "# HELP hookrelay_deliveries Deliveries by status (delivered rows are not counted; see the attempt counters).",
    "# TYPE hookrelay_deliveries gauge",
    `hookrelay_deliveries{status="pending"} ${row.pending}`,
    `hookrelay_deliveries{status="leased"} ${row.leased}`,
    `hookrelay_deliveries{status="failed"} ${row.failed}`,
  ].join("\n") + "\n";
}
