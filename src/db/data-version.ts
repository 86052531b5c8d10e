// SQLite's `PRAGMA data_version`: changes whenever another connection (the CLI, another process)
// commits to the database, never for this connection's own writes. Caches of database state
// compare it to notice writes they were not told about.
import type { Db } from "./client";
import { preparedPer } from "./prepared";

const statement = preparedPer((db) => db.$client.prepare("PRAGMA data_version").pluck());

export function dataVersionOf(db: Db): number {
  return statement(db).get() as number;
}
