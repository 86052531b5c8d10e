// Newest-first pages on PostgreSQL, which has no rowid: lists order by (created_at, id), and
// the cursor is the last row's pair. Opaque to callers like SQLite's rowid cursor.
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { ListCursors, Page } from "../aggregates/page";

export interface Keyset {
  createdAt: number;
  id: string;
}

export function encodeKeysetCursor(at: Keyset): string {
  return Buffer.from(`k${at.createdAt}.${at.id}`).toString("base64url");
}

/**
 * The position a cursor stands for; null for the first page or a cursor that is not ours. Ours
 * only: the exact text encodeKeysetCursor makes (no other spelling of the same bytes), an id of
 * printable ASCII (every id is; a NUL or a stray byte would fail the query as text), a time that
 * fits int8.
 */
export function decodeKeysetCursor(cursor: string | undefined): Keyset | null {
  if (cursor === undefined) return null;
  const match = /^k(\d{1,15})\.([\x21-\x7e]{1,200})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) return null;
  const at = { createdAt: Number(match[1]), id: match[2]! };
  return encodeKeysetCursor(at) === cursor ? at : null;
}

/** The PostgreSQL store's cursors. */
export const keysetCursors: ListCursors = { isOwn: (cursor) => decodeKeysetCursor(cursor) !== null };

/**
 * `(created_at, id) < (the cursor's pair)`, or true for the first page: pair with ORDER BY
 * created_at DESC, id DESC. The cursor was checked by the route (Store.cursors) before the list ran.
 */
export function beforeCursor(createdAt: PgColumn, id: PgColumn, cursor: string | undefined): SQL {
  const at = decodeKeysetCursor(cursor);
  return at ? sql`(${createdAt}, ${id}) < (${at.createdAt}, ${at.id})` : sql`true`;
}

/** Cuts `limit + 1` rows fetched newest first into a page. */
export function keysetPage<T extends Keyset>(rows: T[], limit: number): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { rows: pageRows, nextCursor: hasMore && last ? encodeKeysetCursor(last) : null };
}
