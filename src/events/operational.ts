// Operational events (docs/architecture.md#operational-events): `webhook.disabled` and
// `delivery.exhausted`, published into the webhook's tenant by the store that records the outcome
// causing them, in the same transaction (db/sqlite/delivery-queue.ts, db/postgres/delivery-queue.ts),
// so they reach that tenant's subscribed webhooks through the same outbox and are never lost or
// sent for an outcome that was rolled back. What they say is built here, once, for both stores.
import { iso, newSortableId } from "../ids";
import type { NewEvent } from "../db/aggregates/publish";
import { OPERATIONAL_EVENT_TYPES } from "./catalogue";
import { eventBody } from "./body";

/** A webhook the outcome writer disabled (it was active until this turn). */
export interface WebhookDisabledFact {
  tenantId: string;
  webhookId: string;
  url: string;
  /** `endpoint_gone`: it answered 410; `no_success`: silent for DELIVERY_DISABLE_AFTER_HOURS when a delivery ran out of retries. */
  reason: "endpoint_gone" | "no_success";
  /** The webhook's `disabled_reason`, in words. */
  disabledReason: string;
  /** The delivery whose outcome disabled it, with that attempt's status and error. */
  deliveryId: string;
  lastStatusCode: number | null;
  lastError: string | null;
  at: number;
}

/** A delivery to a webhook that failed for good. */
export interface DeliveryExhaustedFact {
  tenantId: string;
  deliveryId: string;
  /** The id receivers know the event by (`webhook-id`). */
  eventId: string;
  eventType: string;
  webhookId: string;
  url: string;
  /** `retries_exhausted`: the retry schedule ran out; `endpoint_gone`: it answered 410. */
  reason: "retries_exhausted" | "endpoint_gone";
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  at: number;
}

/**
 * Whether a failed delivery of an event of this type may announce itself: never for an
 * operational event, or one unreachable subscriber would feed itself a chain of events.
 * (`webhook.disabled` needs no such rule: a webhook is disabled once, and a disabled one gets nothing.)
 */
export function announcesExhaustion(eventType: string): boolean {
  return !OPERATIONAL_EVENT_TYPES.has(eventType);
}

export function webhookDisabledEvent(fact: WebhookDisabledFact): NewEvent & { tenantId: string } {
  return operationalEvent(fact.tenantId, "webhook.disabled", fact.at, {
    webhook_id: fact.webhookId,
    url: fact.url,
    reason: fact.reason,
    disabled_reason: fact.disabledReason,
    delivery_id: fact.deliveryId,
    last_status_code: fact.lastStatusCode,
    last_error: fact.lastError,
    disabled_at: iso(fact.at),
    // Redundant for the tenant's own receivers; what an operator hearing every tenant needs.
    tenant_id: fact.tenantId,
  });
}

export function deliveryExhaustedEvent(fact: DeliveryExhaustedFact): NewEvent & { tenantId: string } {
  return operationalEvent(fact.tenantId, "delivery.exhausted", fact.at, {
    delivery_id: fact.deliveryId,
    event_id: fact.eventId,
    event_type: fact.eventType,
    webhook_id: fact.webhookId,
    url: fact.url,
    reason: fact.reason,
    attempts: fact.attempts,
    last_status_code: fact.lastStatusCode,
    last_error: fact.lastError,
    failed_at: iso(fact.at),
    tenant_id: fact.tenantId,
  });
}

function operationalEvent(tenantId: string, type: string, at: number, data: Record<string, unknown>): NewEvent & { tenantId: string } {
  const id = newSortableId("evt", at);
  return { id, publicId: id, tenantId, type, body: eventBody(id, type, at, data), createdAt: at };
}
