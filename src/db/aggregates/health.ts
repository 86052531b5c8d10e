// What the operations endpoints read from the database: that it answers, and the delivery
// queue's gauges, which hold for every process on the same database because they are read from it.

export interface QueueGauges {
  pending: number;
  leased: number;
  failed: number;
  /** Pending rows whose next attempt is due. */
  due: number;
  /** When the longest-waiting due row (pending, or leased past its lease) became due; null when none is. */
  oldestDueAt: number | null;
  /** Due pending rows per webhook, most first (ties by webhook id). */
  backlog: { webhookId: string; due: number }[];
}

export interface BacklogLimits {
  /** At most this many webhooks in `backlog`. */
  top: number;
  /** `backlog` counts only this many of the longest-waiting due rows, so a scrape stays cheap with millions. */
  scanLimit: number;
}

export interface HealthStore {
  /** Resolves when the database answers a query; rejects otherwise. */
  ping(): Promise<void>;
  queueGauges(now: number, limits: BacklogLimits): Promise<QueueGauges>;
}
