// RETENTION_DAYS (DESIGN.md §5): delivered deliveries and attempt logs older than the window
// are deleted, then events nothing refers to any more. Failed and pending deliveries stay (they
// are visible and retryable); only their old attempt rows go. Small batches, so the single
// writer is never held for long.
import type { Db } from "../db/client";

const BATCH = 2000;

export interface PurgeCounts {
  deliveries: number;
  attempts: number;
  events: number;
}

export function purgeExpired(db: Db, retentionDays: number, now: number): PurgeCounts {
  const cutoff = now - retentionDays * 86_400_000;
  const sqlite = db.$client;
  const attempts = sqlite.prepare(
    `DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts WHERE attempted_at < ? LIMIT ${BATCH})`,
  );
  const deliveries = sqlite.prepare(
    `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status = 'delivered' AND delivered_at < ? LIMIT ${BATCH})`,
  );
  const events = sqlite.prepare(
    `DELETE FROM events WHERE id IN (
       SELECT e.id FROM events e WHERE e.created_at < ?
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT ${BATCH})`,
  );
  const counts: PurgeCounts = { deliveries: 0, attempts: 0, events: 0 };
  const drain = (statement: typeof attempts, key: keyof PurgeCounts) => {
    for (;;) {
      const changes = statement.run(cutoff).changes;
      counts[key] += changes;
      if (changes < BATCH) return;
    }
  };
  drain(deliveries, "deliveries");
  drain(attempts, "attempts");
  drain(events, "events");
  return counts;
}
