// The delivery log and manual re-delivery, over the store (db/aggregates/delivery-log.ts); no
// HTTP here. `owner` is the tenant a tenant key is confined to (undefined for platform keys).
import type { AttemptRecord, DeliveryRecord } from "../db/aggregates/delivery-log";
import type { Store } from "../db/store";
import { Conflict, NotFound, invalidField } from "../http/errors";
import { iso } from "../ids";
import { parsePage } from "../http/pagination";
import type { Pagination } from "../http/envelope";
import { SINCE_ERROR, type Delivery, type DeliveryListQuery, type DeliveryWithAttempts } from "./model";

const WEBHOOK_DISABLED = "The webhook is disabled; enable it (PATCH active: true) before retrying";
const noWebhook = (id: string) => new NotFound(`No webhook with id ${id}`);
const noDelivery = (id: string) => new NotFound(`No delivery with id ${id}`);

export function toDelivery(row: DeliveryRecord): Delivery {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType,
    webhook_id: row.webhookId,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? iso(row.nextAttemptAt) : null,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    delivered_at: row.deliveredAt === null ? null : iso(row.deliveredAt),
  };
}

function toAttempt(a: AttemptRecord): DeliveryWithAttempts["attempt_log"][number] {
  return { attempted_at: iso(a.attemptedAt), duration_ms: a.durationMs, status_code: a.statusCode, response_body: a.responseBody, error: a.error };
}

export function toPagination(page: { nextCursor: string | null; hasMore: boolean }): Pagination {
  return { next_cursor: page.nextCursor, has_more: page.hasMore };
}

/** A webhook's deliveries, newest first. */
export async function listWebhookDeliveries(store: Store, webhookId: string, query: DeliveryListQuery, owner?: string) {
  // Bad parameters are a 400 before an unknown webhook is a 404, as when the schema refuses them.
  const { limit } = parsePage(query, store.cursors);
  const page = await store.deliveryLog.listForWebhook(webhookId, owner ?? null, query.status, { limit, cursor: query.cursor });
  if (!page) throw noWebhook(webhookId);
  return { data: page.items.map(toDelivery), pagination: toPagination(page) };
}

/** Another tenant's delivery is answered exactly like one that does not exist. */
export async function getDelivery(store: Store, id: string, owner?: string): Promise<DeliveryWithAttempts> {
  const found = await store.deliveryLog.get(id, owner ?? null);
  if (!found) throw noDelivery(id);
  return { ...toDelivery(found.delivery), attempt_log: found.attempts.map(toAttempt) };
}

/**
 * Makes a delivery due now, whatever its state except in flight. A failed delivery gets one more
 * attempt (its retry budget is spent); a pending one just stops waiting.
 */
export async function retryDelivery(store: Store, id: string, owner?: string, now = Date.now()): Promise<Delivery> {
  const outcome = await store.deliveryLog.retry(id, owner ?? null, now);
  switch (outcome.kind) {
    case "missing":
      throw noDelivery(id);
    case "in_flight":
      throw new Conflict("The delivery is being attempted right now");
    case "webhook_disabled":
      throw new Conflict(WEBHOOK_DISABLED);
    case "retried":
      return toDelivery(outcome.delivery);
  }
}

/** Makes every failed delivery of the webhook enqueued since `since` due now. */
export async function recoverFailedDeliveries(store: Store, webhookId: string, sinceIso: string, owner?: string, now = Date.now()): Promise<number> {
  const since = Date.parse(sinceIso);
  if (Number.isNaN(since) || since > now) throw invalidField("since", SINCE_ERROR);
  const outcome = await store.deliveryLog.recoverFailed(webhookId, owner ?? null, since, now);
  if (outcome.kind === "missing") throw noWebhook(webhookId);
  if (outcome.kind === "webhook_disabled") throw new Conflict("The webhook is disabled; enable it (PATCH active: true) before recovering");
  return outcome.count;
}
