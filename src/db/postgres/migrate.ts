// Applies the SQL files drizzle-kit generated into drizzle-pg/ (`bun run db:generate:pg`).
// Every node runs this at start-up, and several may start at once: the work runs under a
// PostgreSQL advisory lock, so the first node applies the migrations and the others, once the
// lock is theirs, find nothing left to do. Without it, two nodes would both see an empty
// migrations table and race to create the same tables.
import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import { migrate } from "drizzle-orm/bun-sql/migrator";
import { join } from "node:path";
import { ASSET_ROOT } from "../../assets";

export const PG_MIGRATIONS_DIR = join(ASSET_ROOT, "drizzle-pg");

/** The advisory lock key of start-up work (migrations, the bootstrap key): "hookrlay" in ASCII. */
export const STARTUP_LOCK_KEY = "7525356009631277433";

/** How long a node waits for another node's migration before it gives up and says so. */
const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

export interface MigrateOptions {
  migrationsFolder?: string;
  lockTimeoutMs?: number;
}

export interface MigrationOutcome {
  /** Migrations this call applied (0 when another node had applied them all). */
  applied: number;
  /** Migrations recorded in the database afterwards. */
  total: number;
}

/**
 * Runs `work` holding the start-up lock on `client`, which must be a single connection
 * (`max: 1` or a reserved one): a session-level advisory lock belongs to its connection.
 * The wait is bounded by `lockTimeoutMs`; the lock is released however `work` ends (and by the
 * server if the connection drops).
 */
export async function withStartupLock<T>(client: SQL, work: () => Promise<T>, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<T> {
  await client.unsafe(`SET lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
  try {
    await client.unsafe(`SELECT pg_advisory_lock(${STARTUP_LOCK_KEY})`);
  } catch (e) {
    if ((e as { errno?: string }).errno === "55P03") {
      throw new Error(`another node held the start-up lock of the database for more than ${lockTimeoutMs} ms (migrating?); try again once it is done`);
    }
    throw e;
  }
  try {
    await client.unsafe("SET lock_timeout = 0");
    return await work();
  } finally {
    await client.unsafe(`SELECT pg_advisory_unlock(${STARTUP_LOCK_KEY})`).catch(() => {});
  }
}

async function recordedMigrations(client: SQL): Promise<number> {
  const [table] = await client.unsafe(`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  if (!table.present) return 0;
  const [row] = await client.unsafe("SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
  return Number(row.n);
}

/** Brings the database at `url` up to date; resolves once this node may use it. */
export async function migratePostgres(url: string, options: MigrateOptions = {}): Promise<MigrationOutcome> {
  // One connection: the lock, Drizzle's bookkeeping and its migration transaction share it.
  const client = new SQL({ url, max: 1, connectionTimeout: 10 });
  try {
    return await withStartupLock(
      client,
      async () => {
        const before = await recordedMigrations(client);
        await migrate(drizzle({ client }), { migrationsFolder: options.migrationsFolder ?? PG_MIGRATIONS_DIR });
        const total = await recordedMigrations(client);
        return { applied: total - before, total };
      },
      options.lockTimeoutMs,
    );
  } finally {
    await client.close();
  }
}
