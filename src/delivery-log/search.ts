// Delivery search and bulk retry across a tenant's webhooks (docs/api-guide.md). A search walks
// deliveries_tenant_created_idx (or, for one webhook, deliveries_webhook_idx) newest first;
// filters the index cannot answer (status, event type) are checked on each row. So that no
// request reads a million rows in one go, a request looks at most SEARCH_WINDOW rows: when
// they hold fewer matches than a page, it answers what it found with a cursor after the last
// row it looked at, and `has_more` tells the caller to go on.
import { and, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { newestFirst } from "../db/keyset";
import { deliveries, events, webhooks } from "../db/schema";
import { pageFieldErrors, parsePage, toPage } from "../http/pagination";
import { rejectInvalidFields } from "../http/errors";
import { parseTimeRange, timeRangeFieldErrors } from "../http/time-range";
import { findWebhookRow } from "../links/service";
import type { Pagination } from "../http/envelope";
import { deliveryColumns, toDelivery, type DeliveryRow } from "./service";
import type { Delivery } from "./model";

/** Rows one request may look at, matching or not. */
export const SEARCH_WINDOW = 5000;

export interface DeliverySearch {
  limit?: string;
  cursor?: string;
  status?: Delivery["status"];
  webhook_id?: string;
  event_type?: string;
  event_id?: string;
  since?: string;
  until?: string;
}

const page = newestFirst(deliveries, deliveries.createdAt);
const cursorOf = (rowId: number) => Buffer.from(`r${rowId}`).toString("base64url");

/** Where the walk goes: one webhook (checked against `owner`), or the tenant's whole log. */
function scopeOf(db: Db, tenantId: string, search: DeliverySearch, owner: string | undefined): SQL {
  if (search.webhook_id === undefined) return eq(deliveries.tenantId, tenantId);
  findWebhookRow(db, search.webhook_id, owner);
  return eq(deliveries.webhookId, search.webhook_id);
}

function residualFilters(search: DeliverySearch): SQL[] {
  const filters: SQL[] = [];
  if (search.status !== undefined) filters.push(eq(deliveries.status, search.status));
  if (search.event_type !== undefined) filters.push(eq(events.type, search.event_type));
  if (search.event_id !== undefined) filters.push(eq(events.publicId, search.event_id));
  return filters;
}

export interface SearchPage {
  rows: (DeliveryRow & { rowId: number })[];
  pagination: Pagination;
}

/**
 * One page of matches, newest first. `owner` is the tenant a tenant key is confined to
 * (undefined for platform keys, who may name any tenant's webhook).
 */
export function searchDeliveryRows(db: Db, tenantId: string, search: DeliverySearch, owner: string | undefined, limit: number): SearchPage {
  rejectInvalidFields([...pageFieldErrors({ cursor: search.cursor }), ...timeRangeFieldErrors(search)]);
  const { beforeRowId } = parsePage({ cursor: search.cursor });
  const { since, until } = parseTimeRange(search);
  const walk: (SQL | undefined)[] = [scopeOf(db, tenantId, search, owner), page.after(db, beforeRowId)];
  if (since !== undefined) walk.push(gte(deliveries.createdAt, since));
  if (until !== undefined) walk.push(lt(deliveries.createdAt, until));
  const filters = residualFilters(search);
  const select = () =>
    db.select({ ...deliveryColumns, rowId: page.rowId }).from(deliveries).innerJoin(events, eq(events.id, deliveries.eventId));

  // With no filter left for the rows, every row in the walk is a match: a plain page.
  // Otherwise find the edge of this request's window first (an index-only walk), then the
  // matches inside it.
  let edge: { createdAt: number; rowId: number } | undefined;
  if (filters.length > 0) {
    edge = db
      .select({ createdAt: deliveries.createdAt, rowId: page.rowId })
      .from(deliveries)
      .where(and(...walk))
      .orderBy(...page.orderBy)
      .limit(1)
      .offset(SEARCH_WINDOW - 1)
      .get();
  }
  const where = and(...walk, ...filters, edge ? page.notBefore(edge) : undefined);
  const rows = select().where(where).orderBy(...page.orderBy).limit(limit + 1).all() as (DeliveryRow & { rowId: number })[];
  const found = toPage(rows, limit);
  if (found.pagination.has_more || !edge) return found;
  // The window ended before the page filled: go on after its last row next time.
  return { rows: found.rows, pagination: { next_cursor: cursorOf(edge.rowId), has_more: true } };
}

export function searchDeliveries(db: Db, tenantId: string, search: DeliverySearch, owner: string | undefined) {
  rejectInvalidFields([...pageFieldErrors(search), ...timeRangeFieldErrors(search)]);
  const { limit } = parsePage({ limit: search.limit });
  const { rows, pagination } = searchDeliveryRows(db, tenantId, search, owner, limit);
  return { data: rows.map(toDelivery), pagination };
}

/** Matches one bulk-retry request makes due, at most. */
export const RETRY_BATCH = 500;

export interface BulkRetryResult {
  retried: number;
  /** Matches left alone: being attempted right now, or their webhook is disabled. */
  skipped: number;
  next_cursor: string | null;
  has_more: boolean;
}

/**
 * Makes every match of one search window due now (failed ones by default), as `retry` does for
 * one: at most RETRY_BATCH matches and SEARCH_WINDOW rows a request; the cursor goes on.
 */
export function retryMatchingDeliveries(db: Db, tenantId: string, search: DeliverySearch, owner: string | undefined, now = Date.now()): BulkRetryResult {
  const criteria = { ...search, status: search.status ?? "failed" };
  return db.transaction(
    () => {
      const { rows, pagination } = searchDeliveryRows(db, tenantId, criteria, owner, RETRY_BATCH);
      const inFlight = (r: DeliveryRow) => r.status === "leased";
      const webhookIds = [...new Set(rows.flatMap((r) => (r.webhookId ? [r.webhookId] : [])))];
      const active = new Set(
        webhookIds.length === 0
          ? []
          : db.select({ id: webhooks.id }).from(webhooks).where(and(inArray(webhooks.id, webhookIds), eq(webhooks.active, true))).all().map((w) => w.id),
      );
      const due = rows.filter((r) => !inFlight(r) && (r.webhookId === null || active.has(r.webhookId))).map((r) => r.id);
      for (let i = 0; i < due.length; i += 500) {
        db.update(deliveries)
          .set({ status: "pending", nextAttemptAt: now, leaseExpiresAt: null, updatedAt: now })
          .where(inArray(deliveries.id, due.slice(i, i + 500)))
          .run();
      }
      return { retried: due.length, skipped: rows.length - due.length, ...pagination };
    },
    { behavior: "immediate" },
  );
}

