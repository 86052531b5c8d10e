// Opens the SQLite file with the settings every connection needs. Services receive a `Db`
// and never open connections themselves, so a second dialect would only touch this folder.
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isDatabaseBusy } from "./busy";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenOptions {
  /**
   * How long a statement waits for another connection's write lock before failing with
   * SQLITE_BUSY. The wait blocks the thread: one-shot commands can afford the default, the
   * server uses a short one and retries without blocking (db/busy.ts).
   */
  busyTimeoutMs?: number;
}

/** The database file cannot be opened (a directory, no permission, not a database): names DATABASE_PATH. */
export class DatabaseUnavailable extends Error {}

/** The first line of what the file system or SQLite said. */
function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  let sqlite: Database.Database;
  try {
    if (path !== ":memory:" && !path.startsWith("file:")) mkdirSync(dirname(path), { recursive: true });
    sqlite = new Database(path);
    // WAL lets readers run beside the single writer; NORMAL is durable across process crashes
    // (only an OS crash can lose the last transactions), which is the trade every WAL user makes.
    sqlite.pragma("journal_mode = WAL");
  } catch (e) {
    if (isDatabaseBusy(e)) throw e;
    throw new DatabaseUnavailable(`DATABASE_PATH ${path} cannot be opened: ${reasonOf(e)}`);
  }
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  sqlite.pragma("foreign_keys = ON");
  // Statement and savepoint journals in memory: on disk, every page a nested transaction or
  // multi-row statement touches is first copied to a temp file (one pwrite per page), which
  // made the outbox and the delivery loop several times slower.
  sqlite.pragma("temp_store = MEMORY");
  const db = drizzle(reusingStatements(sqlite) as unknown as Database.Database, { schema }) as Db;
  // Everything outside Drizzle (our prepared statements, transactions, pragmas) uses the
  // connection itself.
  db.$client = sqlite;
  return db;
}

/** Compiled statements kept per connection for Drizzle's queries (least recently used dropped). */
const MAX_REUSED_STATEMENTS = 256;

/**
 * The connection as Drizzle sees it: `prepare` hands back the statement already compiled for the
 * same SQL text. Drizzle compiles every query it runs, and a query's text depends only on its
 * shape (values are bound separately), so without this a list or a lookup by id recompiled the
 * same SQL on every request (test/bench/RESULTS.md). Only Drizzle uses these statements, always to
 * completion within one call, so sharing one is safe. Drizzle sets one mode per call, `raw`
 * (rows as arrays), and never unsets it, so a reused statement is reset first. Queries Drizzle
 * holds (`.prepare()`, compiled once by the stores in db/sqlite/) keep their statement without coming back here: safe
 * because every held query that reads rows by field sets `raw` itself on each call.
 */
export function reusingStatements(sqlite: Database.Database) {
  const compiled = new Map<string, Database.Statement>();
  return {
    prepare(source: string): Database.Statement {
      let statement = compiled.get(source);
      if (statement) {
        // Most recently used last: the first key is the one to drop.
        compiled.delete(source);
        if (statement.reader) statement.raw(false);
      } else {
        statement = sqlite.prepare(source);
        if (compiled.size >= MAX_REUSED_STATEMENTS) compiled.delete(compiled.keys().next().value!);
      }
      compiled.set(source, statement);
      return statement;
    },
    transaction: sqlite.transaction.bind(sqlite),
  };
}

export function closeDatabase(db: Db): void {
  if (db.$client.open) db.$client.close();
}
