// Cursor pagination shared by every list: `limit` 1–100 (default 20) and an opaque cursor
// that encodes the position after the last row served (its SQLite rowid, which only grows).
import { t } from "elysia";
import { rejectInvalidFields, type FieldError } from "./errors";
import type { Pagination } from "./envelope";
import { documentedAs } from "./schemas";
import { decodeRowIdCursor } from "../db/sqlite/rowid-page";

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

interface PageQuery {
  limit?: unknown;
  cursor?: unknown;
}

function limitOf(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = typeof raw === "string" && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  return limit >= 1 && limit <= MAX_LIMIT ? limit : NaN;
}

function beforeRowIdOf(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  return typeof raw === "string" ? decodeRowIdCursor(raw) : NaN;
}

/** What is wrong with `limit` and `cursor`, both checked. */
export function pageFieldErrors(query: PageQuery): FieldError[] {
  const problems: FieldError[] = [];
  if (Number.isNaN(limitOf(query.limit))) problems.push({ field: "limit", message: "Must be an integer from 1 to 100" });
  if (Number.isNaN(beforeRowIdOf(query.cursor))) problems.push({ field: "cursor", message: "Must be a cursor returned by a previous page" });
  return problems;
}

/** The `fieldChecks` of a list route (http/field-errors.ts). */
export const pageChecks = ({ query }: { query: PageQuery }): FieldError[] => pageFieldErrors(query);

export function parsePage(query: PageQuery): PageRequest {
  const limit = limitOf(query.limit);
  const beforeRowId = beforeRowIdOf(query.cursor);
  if (Number.isNaN(limit) || Number.isNaN(beforeRowId)) rejectInvalidFields(pageFieldErrors(query));
  return { limit, beforeRowId };
}

/** The `pagination` of a page a store cut (its cursor is the store's own). */
export function toPagination(nextCursor: string | null): Pagination {
  return { next_cursor: nextCursor, has_more: nextCursor !== null };
}
