// Newest-first pages by rowid (insertion order) for the small operator lists (tenants, keys,
// users). The cursor is the last row's rowid; the log pages (log-pages.ts) use the same format.
import type { ListCursors, Page } from "../aggregates/page";

/** The rowid a cursor stands for; NaN when it is not one of ours. */
export function decodeRowIdCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, "base64url").toString();
  const rowId = /^r\d{1,15}$/.test(decoded) ? Number(decoded.slice(1)) : NaN;
  return Number.isSafeInteger(rowId) ? rowId : NaN;
}

export function encodeRowIdCursor(rowId: number): string {
  return Buffer.from(`r${rowId}`).toString("base64url");
}

/** The SQLite store's cursors: `r<rowid>`, base64url. */
export const rowIdCursors: ListCursors = { isOwn: (cursor) => !Number.isNaN(decodeRowIdCursor(cursor)) };

/** The `before` parameter of a list statement: null for the first page. */
export function rowIdOfCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const rowId = decodeRowIdCursor(cursor);
  // The route has checked it already (Store.cursors); a foreign cursor reads as "from the start".
  return Number.isNaN(rowId) ? null : rowId;
}

/** Cuts `limit + 1` rows fetched newest first into a page. */
export function pageOf<R extends { rowId: number }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { rows: pageRows.map(map), nextCursor: hasMore && last ? encodeRowIdCursor(last.rowId) : null };
}
