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

/**
 * `preparedPer` for a query whose SQL depends on which filters a request uses (a cursor, a
 * status…): one prepared query per connection and per distinct `keyOf(shape)`.
 */
export function preparedPerShape<S, T>(keyOf: (shape: S) => string, build: (db: Db, shape: S) => T): (db: Db, shape: S) => T {
  const byDb = new WeakMap<Db, Map<string, T>>();
  return (db, shape) => {
    let byKey = byDb.get(db);
    if (!byKey) byDb.set(db, (byKey = new Map()));
    const key = keyOf(shape);
    let query = byKey.get(key);
    if (query === undefined) byKey.set(key, (query = build(db, shape)));
    return query;
  };
}
