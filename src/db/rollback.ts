// In-memory state derived from the database (caches) may have been built from rows a transaction
// wrote and then did not keep. Every transaction on a connection goes through `forgetOnFailure`,
// so whenever one throws (its function, a savepoint inside it, or its COMMIT), every cache that
// registered here drops what it holds for that database and rebuilds from what was kept.
import type Database from "better-sqlite3";
import type { Db } from "./client";

const forgetters = new Set<(db: Db) => void>();

/** Registers a cache's "forget everything for this database". */
export function forgetOnRollback(forget: (db: Db) => void): void {
  forgetters.add(forget);
}

export function forgetDerivedState(db: Db): void {
  for (const forget of forgetters) forget(db);
}

type AnyFunction = (...args: unknown[]) => unknown;
type Transaction = AnyFunction & { deferred: AnyFunction; immediate: AnyFunction; exclusive: AnyFunction; default: AnyFunction };

/**
 * `sqlite.transaction` whose every variant (default, deferred, immediate, exclusive; nested ones
 * run as savepoints) calls `forgetDerivedState(db())` when it throws, after SQLite rolled back.
 */
export function forgetOnFailure(sqlite: Database.Database, db: () => Db | undefined): Database.Database["transaction"] {
  const transaction = sqlite.transaction.bind(sqlite);
  const guard = (run: AnyFunction): AnyFunction =>
    function guarded(this: unknown, ...args: unknown[]) {
      try {
        return run.apply(this, args);
      } catch (error) {
        const connection = db();
        if (connection) forgetDerivedState(connection);
        throw error;
      }
    };
  return ((fn: AnyFunction) => {
    const tx = transaction(fn) as unknown as Transaction;
    const wrapped = guard(tx) as Transaction;
    wrapped.deferred = guard(tx.deferred);
    wrapped.immediate = guard(tx.immediate);
    wrapped.exclusive = guard(tx.exclusive);
    wrapped.default = wrapped;
    return wrapped;
  }) as unknown as Database.Database["transaction"];
}
