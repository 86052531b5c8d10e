// In-memory state derived from the database (caches) may have been built from rows a transaction
// wrote and then did not keep. Every transaction on a connection goes through `reportingTransactions`,
// so whenever one throws (its function, a savepoint inside it, or its COMMIT), every cache that
// registered here hears of it and drops what it may have taken from it; when the outermost one
// commits, they hear that too (what they took from it is now kept).
import type Database from "better-sqlite3";
import type { Db } from "./client";

export interface DerivedState {
  /** A transaction (or savepoint) on `db` threw and was rolled back. */
  failed(db: Db): void;
  /** The outermost transaction on `db` committed. */
  committed(db: Db): void;
  /** Drop everything held for `db`. */
  forget(db: Db): void;
}

const caches = new Set<DerivedState>();

/** Registers a cache to hear about transactions that fail or commit. */
export function deriveFromTransactions(cache: DerivedState): void {
  caches.add(cache);
}

/** Rows changed behind the services' backs (tests pruning their fixtures): every cache forgets. */
export function forgetDerivedState(db: Db): void {
  for (const cache of caches) cache.forget(db);
}

type AnyFunction = (...args: unknown[]) => unknown;
type Transaction = AnyFunction & { deferred: AnyFunction; immediate: AnyFunction; exclusive: AnyFunction; default: AnyFunction };

/**
 * `sqlite.transaction` whose every variant (default, deferred, immediate, exclusive; nested ones
 * run as savepoints) tells the caches when it threw (after SQLite rolled back) and when the
 * outermost one committed.
 */
export function reportingTransactions(sqlite: Database.Database, db: () => Db | undefined): Database.Database["transaction"] {
  const transaction = sqlite.transaction.bind(sqlite);
  const guard = (run: AnyFunction): AnyFunction =>
    function guarded(this: unknown, ...args: unknown[]) {
      let result: unknown;
      try {
        result = run.apply(this, args);
      } catch (error) {
        const connection = db();
        if (connection) for (const cache of caches) cache.failed(connection);
        throw error;
      }
      const connection = db();
      if (connection && !sqlite.inTransaction) for (const cache of caches) cache.committed(connection);
      return result;
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
