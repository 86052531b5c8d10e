// Gauges read from the database at scrape time (db/aggregates/health.ts), so they hold for every
// process on it. Delivered rows (the bulk) are not counted here, the attempt counters cover them.
import type { Store } from "../db/store";
import { family, sample } from "../metrics/exposition";

/** Endpoints listed by hookrelay_webhook_due_deliveries: a bounded label count whatever the number of webhooks. */
export const BACKLOG_TOP = 10;
/**
 * The per-endpoint count reads each due row (its webhook is not in the index): it looks at the
 * longest-waiting rows only, so a scrape stays a few milliseconds with a backlog of millions.
 */
export const BACKLOG_SCAN_LIMIT = 100_000;

export async function queueGauges(store: Store, now = Date.now()): Promise<string> {
  const g = await store.health.queueGauges(now, { top: BACKLOG_TOP, scanLimit: BACKLOG_SCAN_LIMIT });
  return [
    family("hookrelay_delivery_queue_depth", "gauge", "Deliveries not finished yet (pending or leased).", [sample("hookrelay_delivery_queue_depth", {}, g.pending + g.leased)]),
    family("hookrelay_delivery_due", "gauge", "Pending deliveries whose next attempt is due now.", [sample("hookrelay_delivery_due", {}, g.due)]),
    family("hookrelay_deliveries", "gauge", "Deliveries by status (delivered rows are not counted; see the attempt counters).", [
      sample("hookrelay_deliveries", { status: "pending" }, g.pending),
      sample("hookrelay_deliveries", { status: "leased" }, g.leased),
      sample("hookrelay_deliveries", { status: "failed" }, g.failed),
    ]),
    family(
      "hookrelay_delivery_oldest_due_age_seconds",
      "gauge",
      "How long the longest-waiting due delivery has been due (0 when none is): grows when delivery falls behind.",
      [sample("hookrelay_delivery_oldest_due_age_seconds", {}, g.oldestDueAt === null ? 0 : Math.max(0, now - g.oldestDueAt) / 1000)],
    ),
    family(
      "hookrelay_webhook_due_deliveries",
      "gauge",
      `Due pending deliveries of the ${BACKLOG_TOP} webhooks with the most, counted among the ${BACKLOG_SCAN_LIMIT} longest-waiting due deliveries (the total is hookrelay_delivery_due).`,
      g.backlog.map((b) => sample("hookrelay_webhook_due_deliveries", { webhook_id: b.webhookId }, b.due)),
    ),
  ].join("");
}
