// Cursor pagination shared by every list: `limit` 1–100 (default 20) and an opaque cursor
// that stands for the position after the last row served. The store makes its cursors and says
// which strings are its own (Store.cursors): anything else is a 400 before the store is asked.
import { t } from "elysia";
import type { ListCursors } from "../db/aggregates/page";
import { rejectInvalidFields, type FieldError } from "./errors";
import type { Pagination } from "./envelope";
import type { FieldCheck } from "./field-errors";
import { documentedAs } from "./schemas";

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// Strings, parsed by parsePage: Elysia's numeric query coercion reports failures without the
// parameter's name, and every 400 must say which field was wrong.
export const PageQuery = {
  limit: t.Optional(documentedAs(t.String(), t.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: "Page size, 1–100 (default 20)." }))),
  cursor: t.Optional(t.String({ description: "`next_cursor` of the previous page." })),
};

interface PageQuery {
  limit?: unknown;
  cursor?: unknown;
}

function limitOf(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = typeof raw === "string" && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  return limit >= 1 && limit <= MAX_LIMIT ? limit : NaN;
}

function cursorIsValid(raw: unknown, cursors: ListCursors): boolean {
  return raw === undefined || (typeof raw === "string" && cursors.isOwn(raw));
}

/** What is wrong with `limit` and `cursor`, both checked; `cursors` are the store's (Store.cursors). */
export function pageFieldErrors(query: PageQuery, cursors: ListCursors): FieldError[] {
  const problems: FieldError[] = [];
  if (Number.isNaN(limitOf(query.limit))) problems.push({ field: "limit", message: "Must be an integer from 1 to 100" });
  if (!cursorIsValid(query.cursor, cursors)) problems.push({ field: "cursor", message: "Must be a cursor returned by a previous page" });
  return problems;
}

/** The `fieldChecks` of a list route (http/field-errors.ts) over the store's cursors. */
export const pageChecks =
  (cursors: ListCursors): FieldCheck =>
  ({ query }) =>
    pageFieldErrors(query, cursors);

/** The page size; a bad `limit` or a cursor that is not the store's is a 400 naming both. */
export function parsePage(query: PageQuery, cursors: ListCursors): { limit: number } {
  const limit = limitOf(query.limit);
  if (Number.isNaN(limit) || !cursorIsValid(query.cursor, cursors)) rejectInvalidFields(pageFieldErrors(query, cursors));
  return { limit };
}

/** The `pagination` of a page a store cut (its cursor is the store's own). */
export function toPagination(nextCursor: string | null): Pagination {
  return { next_cursor: nextCursor, has_more: nextCursor !== null };
}
