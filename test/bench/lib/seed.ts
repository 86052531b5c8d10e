// Builds a database with a delivery backlog directly in SQLite, far faster than publishing
// through the API: one INSERT … SELECT over a recursive CTE per table, in one transaction.
// Rows look like what publishing makes (one event, one pending delivery per event).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../../../src/db/client";
import { migrateDatabase } from "../../../src/db/migrate";
import { bootstrapApiKey } from "../../../src/auth/api-keys";
import { SqliteStore } from "../../../src/db/sqlite/store";
import { ADMIN_KEY, startHookrelay } from "./processes";

export const BENCH_WEBHOOK_ID = "whk_benchReceiver0001";

export interface SeedOptions {
  /** Where deliveries go; the webhook subscribes to link.clicked. */
  webhookUrl: string;
  /** Pending deliveries (each with its own event). */
  pending: number;
  /** Ids start after this, so a database can be topped up. */
  offset?: number;
  /** A second webhook whose `pending` deliveries are all due before the first one's. */
  older?: { webhookUrl: string; pending: number };
}

export const BENCH_OLDER_WEBHOOK_ID = "whk_benchOlderBacklog01";

export function seedBacklog(databasePath: string, { webhookUrl, pending, offset = 0, older }: SeedOptions): { seconds: number } {
  const started = performance.now();
  const db = openDatabase(databasePath);
  try {
    migrateDatabase(db);
    // The SQLite store writes before its promise settles.
    void bootstrapApiKey(new SqliteStore(db).apiKeys, ADMIN_KEY);
    const sqlite = db.$client;
    const now = Date.now();
    sqlite.transaction(() => {
      sqlite
        .prepare(
          `INSERT OR IGNORE INTO webhooks (id, url, events, active, metadata, secret, last_success_at, created_at, updated_at)
           VALUES (?, ?, '["link.clicked"]', 1, '{}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ?, ?, ?)`,
        )
        .run(BENCH_WEBHOOK_ID, webhookUrl, now, now, now);
      const range = `WITH RECURSIVE n(i) AS (SELECT :offset + 1 UNION ALL SELECT i + 1 FROM n WHERE i < :offset + :count)`;
      sqlite
        .prepare(
          `${range}
           INSERT INTO events (id, public_id, type, body, created_at)
           SELECT 'evt_bench_' || i, 'evt_bench_' || i, 'link.clicked',
                  '{"id":"evt_bench_' || i || '","type":"link.clicked","created_at":"2026-01-01T00:00:00.000Z","data":{"link_id":"lnk_' || i || '","short_url":"https://sho.rt/' || i || '"}}',
                  :now - :count + i
             FROM n`,
        )
        .run({ offset, count: pending, now });
      sqlite
        .prepare(
          `${range}
           INSERT INTO deliveries (id, event_id, transport, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT 'dlv_bench_' || i, 'evt_bench_' || i, 'http', :webhook, 'pending', 0, :now, :now - :count + i, :now FROM n`,
        )
        .run({ offset, count: pending, now, webhook: BENCH_WEBHOOK_ID });
      if (older) {
        sqlite
          .prepare(
            `INSERT OR IGNORE INTO webhooks (id, url, events, active, metadata, secret, last_success_at, created_at, updated_at)
             VALUES (?, ?, '["link.clicked"]', 1, '{}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ?, ?, ?)`,
          )
          .run(BENCH_OLDER_WEBHOOK_ID, older.webhookUrl, now, now, now);
        // One delivery of each of the first events, due a minute before the rest.
        sqlite
          .prepare(
            `${range}
             INSERT INTO deliveries (id, event_id, transport, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT 'dlv_older_' || i, 'evt_bench_' || i, 'http', :webhook, 'pending', 0, :due, :now, :now FROM n`,
          )
          .run({ offset, count: Math.min(older.pending, pending), now, due: now - 60_000, webhook: BENCH_OLDER_WEBHOOK_ID });
      }
    })();
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    closeDatabase(db);
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/**
 * Seeds a backlog in a temp database, starts the server on it (delivering to private addresses,
 * plus `env`), hands `use` the time the server was asked to start, then stops it and removes
 * the files.
 */
export async function withBacklogServer<T>(seed: SeedOptions, env: Record<string, string>, use: (startedAt: number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-backlog-"));
  const databasePath = join(dir, "backlog.db");
  seedBacklog(databasePath, seed);
  const startedAt = performance.now();
  const server = await startHookrelay({ DATABASE_PATH: databasePath, DELIVERY_ALLOW_PRIVATE: "1", ...env });
  try {
    return await use(startedAt);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
