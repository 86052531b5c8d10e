// Opens the SQLite file with the settings every connection needs. Services receive a `Db`
// and never open connections themselves, so a second dialect would only touch this folder.
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export function openDatabase(path: string): Db {
  if (path !== ":memory:" && !path.startsWith("file:")) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers run beside the single writer; NORMAL is durable across process crashes
  // (only an OS crash can lose the last transactions), which is the trade every WAL user makes.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // Statement and savepoint journals in memory: on disk, every page a nested transaction or
  // multi-row statement touches is first copied to a temp file (one pwrite per page), which
  // made the outbox and the delivery loop several times slower.
  sqlite.pragma("temp_store = MEMORY");
  return drizzle(sqlite, { schema });
}

export function closeDatabase(db: Db): void {
  if (db.$client.open) db.$client.close();
}
