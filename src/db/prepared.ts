// Statements built once per connection and reused. Without this Drizzle rebuilds the SQL text
// and SQLite recompiles it on every call, which was the largest share of a create-webhook
// request's CPU time (test/bench/RESULTS.md). Use it for statements on hot paths, with
// `sql.placeholder(name)` for the values that change between calls.
import type { Db } from "./client";

export function preparedPer<T>(build: (db: Db) => T): (db: Db) => T {
  // Keyed by connection: a closed and reopened database gets fresh statements.
  const byDb = new WeakMap<Db, T>();
  return (db) => {
    let statement = byDb.get(db);
    if (statement === undefined) {
      statement = build(db);
      byDb.set(db, statement);
    }
    return statement;
  };
}
