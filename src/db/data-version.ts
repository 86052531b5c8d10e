// SQLite's `PRAGMA data_version`: changes whenever another connection (the CLI, another process)
// commits to the database, never for this connection's own writes (another connection's
// TRUNCATE checkpoint moves it too; our checkpointer's PASSIVE ones do not). Caches of database
// state compare it to notice writes they were not told about; a move without a write only
// costs them a rebuild. Inside a transaction it is ~0.2 µs, outside ~2 µs (a read transaction).
import type { Db } from "./client";
import { preparedPer } from "./prepared";

const statement = preparedPer((db) => db.$client.prepare("PRAGMA data_version").pluck());

export function dataVersionOf(db: Db): number {
  return statement(db).get() as number;
}
