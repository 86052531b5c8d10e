// RETENTION_DAYS (docs/architecture.md): delivered deliveries and attempt logs older than the window
// are deleted, then events nothing refers to any more. Failed and pending deliveries stay (they
// are visible and retryable); only their old attempt rows go. Small batches with a turn of the
// event loop between them, so neither the single writer nor the API is held for long, however
// large the first purge after an upgrade or a shorter RETENTION_DAYS is.
import type { Db } from "../db/client";

const BATCH = 2000;

export interface PurgeCounts {
  deliveries: number;
  attempts: number;
  events: number;
  /** Portal links (docs/tenancy.md) that expired more than a day ago: nobody can use them again. */
  portalKeys: number;
}

const EXPIRED_PORTAL_KEPT_MS = 86_400_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `keepGoing` is asked before every batch: false (the loop is stopping) ends the purge early. */
export async function purgeExpired(
  db: Db,
  retentionDays: number,
  now: number,
  keepGoing: () => boolean = () => true,
): Promise<PurgeCounts> {
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
  const portalKeys = sqlite.prepare(
    `DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE kind = 'portal' AND expires_at < ? LIMIT ${BATCH})`,
  );
  const counts: PurgeCounts = { deliveries: 0, attempts: 0, events: 0, portalKeys: 0 };
  const drain = async (statement: typeof attempts, key: keyof PurgeCounts, before = cutoff) => {
    while (keepGoing()) {
      const changes = statement.run(before).changes;
      counts[key] += changes;
      if (changes < BATCH) return;
      await nextTurn();
    }
  };
  await drain(deliveries, "deliveries");
  await drain(attempts, "attempts");
  await drain(events, "events");
  await drain(portalKeys, "portalKeys", now - EXPIRED_PORTAL_KEPT_MS);
  return counts;
}
