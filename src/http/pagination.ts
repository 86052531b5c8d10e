// Cursor pagination shared by every list: `limit` 1–100 (default 20) and an opaque cursor
// that encodes the position after the last row served (its SQLite rowid, which only grows).
import { t } from "elysia";
import { invalidField } from "./errors";
import type { Pagination } from "./envelope";
import { documentedAs } from "./schemas";

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// Strings, parsed by parsePage: Elysia's numeric query coercion reports failures without the
// parameter's name, and every 400 must say which field was wrong.
export const PageQuery = {
  limit: t.Optional(documentedAs(t.String(), t.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: "Page size, 1–100 (default 20)." }))),
  cursor: t.Optional(t.String({ description: "`next_cursor` of the previous page." })),
};

export interface PageRequest {
  limit: number;
  /** Serve rows with a rowid below this one. */
  beforeRowId: number | undefined;
}

export function parsePage(query: { limit?: string; cursor?: string }): PageRequest {
  let limit = DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) throw invalidField("limit", "must be an integer from 1 to 100");
  }
  let beforeRowId: number | undefined;
  if (query.cursor !== undefined) {
    const decoded = Buffer.from(query.cursor, "base64url").toString();
    beforeRowId = /^r\d{1,15}$/.test(decoded) ? Number(decoded.slice(1)) : NaN;
    if (!Number.isSafeInteger(beforeRowId)) throw invalidField("cursor", "must be a cursor returned by a previous page");
  }
  return { limit, beforeRowId };
}

/** Takes `limit + 1` rows fetched newest first and cuts them into a page. */
export function toPage<R extends { rowId: number }>(rows: R[], limit: number): { rows: R[]; pagination: Pagination } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    rows: pageRows,
    pagination: {
      next_cursor: hasMore && last ? Buffer.from(`r${last.rowId}`).toString("base64url") : null,
      has_more: hasMore,
    },
  };
}
