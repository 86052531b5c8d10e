// Newest-first pages by rowid (insertion order) for the small operator lists (tenants, keys,
// users). The cursor is the last row's rowid, in the format http/pagination.ts validates.
import type { Page } from "../aggregates/page";

export function rowIdOfCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const decoded = Buffer.from(cursor, "base64url").toString();
  const rowId = /^r\d{1,15}$/.test(decoded) ? Number(decoded.slice(1)) : NaN;
  // The route has checked it already; a foreign cursor reads as "from the start".
  return Number.isSafeInteger(rowId) ? rowId : null;
}

/** Cuts `limit + 1` rows fetched newest first into a page. */
export function pageOf<R extends { rowId: number }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { rows: pageRows.map(map), nextCursor: hasMore && last ? Buffer.from(`r${last.rowId}`).toString("base64url") : null };
}
