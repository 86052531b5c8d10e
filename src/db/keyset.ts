// Newest-first pages over (created_at, rowid) — the order of every log list — with the shared
// rowid cursor (http/pagination.ts). Walking an index that ends in created_at (rowid rides in
// every SQLite index), a deep page is a seek, not a scan of the newer rows.
import { desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";

export function newestFirst(table: SQLiteTable, createdAt: SQLiteColumn) {
  const rowId = sql<number>`${table}.rowid`;
  return {
    rowId,
    orderBy: [desc(createdAt), desc(rowId)] as const,
    /**
     * Rows after the cursor's row. If that row is gone since (retention, a delete), rows with a
     * smaller rowid: rowids follow insertion, which follows created_at but for clock steps.
     */
    after(db: Db, beforeRowId: number | undefined): SQL | undefined {
      if (beforeRowId === undefined) return undefined;
      const row = db.select({ createdAt }).from(table).where(eq(rowId, beforeRowId)).get() as { createdAt: number } | undefined;
      if (!row) return lt(rowId, beforeRowId);
      return sql`(${createdAt}, ${rowId}) < (${row.createdAt}, ${beforeRowId})`;
    },
    /** Rows at or after a row already seen, for a bounded window (see delivery-log/search.ts). */
    notBefore(edge: { createdAt: number; rowId: number }): SQL {
      return sql`(${createdAt}, ${rowId}) >= (${edge.createdAt}, ${edge.rowId})`;
    },
  };
}
