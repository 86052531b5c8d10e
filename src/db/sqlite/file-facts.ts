// What the `migrate` and `backup` commands report about a database file before they work on it.
// Both are about SQLite itself (its migrations journal, its pages), not about an aggregate.
import { closeDatabase, openDatabase } from "../client";

/** How many of the shipped migrations the file has applied (0 for a new file). */
export function appliedMigrationCount(path: string): number {
  const db = openDatabase(path);
  try {
    const table = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
    return table ? (db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n : 0;
  } finally {
    closeDatabase(db);
  }
}

/** Bytes in use in the database (its pages less the free ones): about the size of a compact copy. */
export function liveBytes(path: string): number {
  const db = openDatabase(path);
  try {
    const pragma = (name: string) => db.$client.pragma(name, { simple: true }) as number;
    return (pragma("page_count") - pragma("freelist_count")) * pragma("page_size");
  } finally {
    closeDatabase(db);
  }
}
