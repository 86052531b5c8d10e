// Delivery search and bulk retry across a tenant's webhooks (docs/api-guide.md), over the store.
// So that no request reads a million rows in one go, a request looks at most SEARCH_WINDOW rows:
// when they hold fewer matches than a page, it answers what it found with a cursor after the
// last row it looked at, and `has_more` tells the caller to go on.
import type { DeliveryFilters } from "../db/aggregates/delivery-log";
import type { Store } from "../db/store";
import { pageFieldErrors, parsePage } from "../http/pagination";
import { NotFound, rejectInvalidFields } from "../http/errors";
import { parseTimeRange, timeRangeFieldErrors } from "../http/time-range";
import type { Delivery } from "./model";
import { toDelivery, toPagination } from "./service";

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

/** The store's filters, every bad field refused at once. */
function filtersOf(search: DeliverySearch): DeliveryFilters {
  const { since, until } = parseTimeRange(search);
  return { status: search.status, webhookId: search.webhook_id, eventType: search.event_type, eventId: search.event_id, since, until };
}

const noWebhook = (id: string | undefined) => new NotFound(`No webhook with id ${id}`);

/**
 * One page of matches, newest first. `owner` is the tenant a tenant key is confined to
 * (undefined for platform keys, who may name any tenant's webhook).
 */
export async function searchDeliveries(store: Store, tenantId: string, search: DeliverySearch, owner: string | undefined) {
  rejectInvalidFields([...pageFieldErrors(search, store.cursors), ...timeRangeFieldErrors(search)]);
  const { limit } = parsePage({ limit: search.limit }, store.cursors);
  const page = await store.deliveryLog.search(tenantId, owner ?? null, filtersOf(search), { limit, cursor: search.cursor, window: SEARCH_WINDOW });
  if (!page) throw noWebhook(search.webhook_id);
  return { data: page.items.map(toDelivery), pagination: toPagination(page) };
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
export async function retryMatchingDeliveries(store: Store, tenantId: string, search: DeliverySearch, owner: string | undefined, now = Date.now()): Promise<BulkRetryResult> {
  rejectInvalidFields([...pageFieldErrors({ cursor: search.cursor }, store.cursors), ...timeRangeFieldErrors(search)]);
  const filters = { ...filtersOf(search), status: search.status ?? "failed" };
  const outcome = await store.deliveryLog.retryMatching(tenantId, owner ?? null, filters, { limit: RETRY_BATCH, cursor: search.cursor, window: SEARCH_WINDOW }, now);
  if (!outcome) throw noWebhook(search.webhook_id);
  return { retried: outcome.retried, skipped: outcome.skipped, next_cursor: outcome.nextCursor, has_more: outcome.hasMore };
}
