// The event log (docs/api-guide.md): what was published, read back exactly, over the store
// (db/aggregates/event-log.ts); no HTTP.
import type { EventRecord } from "../db/aggregates/event-log";
import type { Store } from "../db/store";
import { toDelivery, toPagination } from "../delivery-log/service";
import type { Delivery } from "../delivery-log/model";
import { NotFound, rejectInvalidFields } from "../http/errors";
import { pageFieldErrors, parsePage } from "../http/pagination";
import { parseTimeRange, timeRangeFieldErrors } from "../http/time-range";
import { iso } from "../ids";

export interface EventSummary {
  id: string;
  type: string;
  created_at: string;
  tenant_id: string;
}

export interface EventListOptions {
  limit?: string;
  cursor?: string;
  type?: string;
  since?: string;
  until?: string;
}

function toSummary(event: EventRecord): EventSummary {
  return { id: event.publicId, type: event.type, created_at: iso(event.createdAt), tenant_id: event.tenantId };
}

/** One tenant's events, newest first. */
export async function listEvents(store: Store, tenantId: string, options: EventListOptions) {
  rejectInvalidFields([...pageFieldErrors(options, store.cursors), ...timeRangeFieldErrors(options)]);
  const { limit } = parsePage(options, store.cursors);
  const { since, until } = parseTimeRange(options);
  const page = await store.eventLog.list(tenantId, { type: options.type, since, until }, { limit, cursor: options.cursor });
  return { data: page.items.map(toSummary), pagination: toPagination(page) };
}

/** How many of an event's deliveries an event read shows; the rest are a delivery search away. */
export const EVENT_DELIVERIES_SHOWN = 100;

export interface EventDetail {
  summary: EventSummary;
  /** The exact bytes every receiver got: kept as text so nothing is re-serialised. */
  payload: string;
  deliveries: Delivery[];
  deliveriesTotal: number;
}

/** The event a tenant knows by `publicId` (its own id, or the generated one). */
export async function getEvent(store: Store, tenantId: string, publicId: string): Promise<EventDetail> {
  const found = await store.eventLog.get(tenantId, publicId, EVENT_DELIVERIES_SHOWN);
  if (!found) throw new NotFound(`No event with id ${publicId}`);
  return { summary: toSummary(found.event), payload: found.body, deliveries: found.deliveries.map(toDelivery), deliveriesTotal: found.deliveriesTotal };
}

/**
 * The event answer as JSON text: the payload is spliced in as stored, so integers beyond 2^53
 * and every number's spelling reach the reader exactly as the receivers got them.
 */
export function eventDetailJson(detail: EventDetail): string {
  const rest = JSON.stringify({ deliveries: detail.deliveries, deliveries_total: detail.deliveriesTotal });
  const head = JSON.stringify(detail.summary).slice(0, -1);
  return `{"success":true,"data":${head},"payload":${detail.payload},${rest.slice(1)}}`;
}
