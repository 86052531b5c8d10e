// In-memory state derived from the database (caches) may have been built from rows a transaction
// wrote and then did not commit. Whoever sees such a transaction fail calls `forgetDerivedState`,
// and every cache that registered here drops what it holds for that database.
import type { Db } from "./client";

const forgetters = new Set<(db: Db) => void>();

/** Registers a cache's "forget everything for this database". */
export function forgetOnRollback(forget: (db: Db) => void): void {
  forgetters.add(forget);
}

export function forgetDerivedState(db: Db): void {
  for (const forget of forgetters) forget(db);
}
