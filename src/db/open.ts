// Which database a process works on, opened the way `serve` and the commands need it: SQLite at
// DATABASE_PATH unless DATABASE_URL names a PostgreSQL server shared by many nodes
// (docs/scaling.md). Everything past this file sees only the Store.
import { SQL } from "bun";
import { hostname } from "node:os";
import { bootstrapApiKey } from "../auth/api-keys";
import type { Config } from "../config";
import type { Logger } from "../log";
import { SERVER_BUSY_TIMEOUT_MS } from "./busy";
import { startCheckpointer } from "./checkpointer";
import { closeDatabase, openDatabase, type Db } from "./client";
import { migrateDatabase } from "./migrate";
import { migratePostgres, withStartupLock } from "./postgres/migrate";
import { PostgresStore } from "./postgres/store";
import { listenForWork } from "./postgres/work-listener";
import { acquireServeLock } from "./serve-lock";
import { SqliteStore } from "./sqlite/store";
import type { Store } from "./store";

export interface ServeStorage {
  readonly store: Store;
  /** The SQLite connection, for what only a file has (a 503's note on who holds the write lock). */
  readonly sqlite: Db | undefined;
  /** Where the data lives, for the "listening" line (never a password). */
  readonly location: string;
  /** The key generated on a first start without ADMIN_API_KEY, to print once. */
  readonly generatedKey: Awaited<ReturnType<typeof bootstrapApiKey>>;
  /** Calls `onWork` when another node (or process) committed due deliveries; SQLite has no other node. */
  listen(onWork: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Connections of one node's pool: requests and the loop share them; each waits for a free one. */
const POSTGRES_POOL_SIZE = 16;

/**
 * A node's name in its leases, stable across its restarts so it can release at once what it held
 * when it died (DeliveryQueue.releaseOwnLeases): host and port, unique among live nodes. On a
 * port chosen by the system (PORT=0) there is nothing stable to name it by: a new name each
 * start, and its old leases are taken over when they run out.
 */
export const nodeIdOf = (config: Pick<Config, "port">) =>
  config.port === 0 ? `${hostname()}:0:${crypto.randomUUID()}` : `${hostname()}:${config.port}`;

/** Opens, migrates and bootstraps the database `serve` runs on, and releases this node's old leases. */
export async function openForServe(config: Config, logger: Logger): Promise<ServeStorage> {
  const storage = config.databaseUrl ? await openPostgresForServe(config, config.databaseUrl) : await openSqliteForServe(config, logger);
  try {
    const released = await storage.store.queue.releaseOwnLeases(Date.now());
    if (released > 0) logger.warn("delivery: released leases left by a previous server", { released });
  } catch (e) {
    await storage.close();
    throw e;
  }
  return storage;
}

async function openSqliteForServe(config: Config, logger: Logger): Promise<ServeStorage> {
  const lock = acquireServeLock(config.databasePath);
  let db: Db | undefined;
  try {
    // Start-up may wait for a one-shot command's write lock; serving may not (db/busy.ts).
    db = openDatabase(config.databasePath);
    migrateDatabase(db);
    const store = new SqliteStore(db);
    const generatedKey = await bootstrapApiKey(store.apiKeys, config.adminApiKey);
    db.$client.pragma(`busy_timeout = ${SERVER_BUSY_TIMEOUT_MS}`);
    const checkpointer = await startCheckpointer(db, config.databasePath, logger);
    const open = db;
    return {
      store,
      sqlite: db,
      location: config.databasePath,
      generatedKey,
      listen: async () => {},
      async close() {
        await checkpointer?.stop();
        closeDatabase(open);
        lock?.release();
      },
    };
  } catch (e) {
    if (db) closeDatabase(db);
    lock?.release();
    throw e;
  }
}

async function openPostgresForServe(config: Config, url: string): Promise<ServeStorage> {
  // Nodes starting together: the first applies the migrations, the others wait for it.
  await migratePostgres(url);
  const pool = new SQL({ url, max: POSTGRES_POOL_SIZE });
  const stopListening: (() => Promise<void>)[] = [];
  try {
    const store = new PostgresStore(pool, nodeIdOf(config));
    // Under the same lock, so two nodes' first start on an empty database make one key.
    const lockConnection = new SQL({ url, max: 1 });
    const generatedKey = await withStartupLock(lockConnection, () => bootstrapApiKey(store.apiKeys, config.adminApiKey)).finally(() =>
      lockConnection.close(),
    );
    return {
      store,
      sqlite: undefined,
      location: withoutPassword(url),
      generatedKey,
      async listen(onWork) {
        stopListening.push((await listenForWork(url, onWork)).stop);
      },
      async close() {
        await Promise.all(stopListening.map((stop) => stop()));
        await pool.close();
      },
    };
  } catch (e) {
    await pool.close();
    throw e;
  }
}

/** Runs a one-shot command against the configured database, brought up to date first, and closes it. */
export async function withCommandStore<T>(config: Config, run: (store: Store) => Promise<T>): Promise<T> {
  if (config.databaseUrl) {
    await migratePostgres(config.databaseUrl);
    const client = new SQL({ url: config.databaseUrl, max: 2 });
    try {
      return await run(new PostgresStore(client));
    } finally {
      await client.close();
    }
  }
  const db = openDatabase(config.databasePath);
  try {
    migrateDatabase(db);
    return await run(new SqliteStore(db));
  } finally {
    closeDatabase(db);
  }
}

export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
