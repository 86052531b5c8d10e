// The event log (docs/api-guide.md): what was published, read back exactly. Plain functions over
// the database; no HTTP. Lists walk events_tenant_created_idx, or events_tenant_type_created_idx
// with a type filter.
import { and, asc, count, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { newestFirst } from "../db/keyset";
import { deliveries, events } from "../db/schema";
import { deliveryColumns, toDelivery, type DeliveryRow } from "../delivery-log/service";
import type { Delivery } from "../delivery-log/model";
import { NotFound, rejectInvalidFields } from "../http/errors";
import { pageFieldErrors, parsePage, toPage } from "../http/pagination";
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

const page = newestFirst(events, events.createdAt);
const summaryColumns = { rowId: page.rowId, id: events.id, publicId: events.publicId, type: events.type, createdAt: events.createdAt, tenantId: events.tenantId };

function toSummary(row: { id: string; publicId: string | null; type: string; createdAt: number; tenantId: string }): EventSummary {
  return { id: row.publicId ?? row.id, type: row.type, created_at: iso(row.createdAt), tenant_id: row.tenantId };
}

/** One tenant's events, newest first. */
export function listEvents(db: Db, tenantId: string, options: EventListOptions) {
  rejectInvalidFields([...pageFieldErrors(options), ...timeRangeFieldErrors(options)]);
  const { limit, beforeRowId } = parsePage(options);
  const { since, until } = parseTimeRange(options);
  const where: (SQL | undefined)[] = [eq(events.tenantId, tenantId), page.after(db, beforeRowId)];
  if (options.type !== undefined) where.push(eq(events.type, options.type));
  if (since !== undefined) where.push(gte(events.createdAt, since));
  if (until !== undefined) where.push(lt(events.createdAt, until));
  const rows = db.select(summaryColumns).from(events).where(and(...where)).orderBy(...page.orderBy).limit(limit + 1).all();
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map(toSummary), pagination };
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
export function getEvent(db: Db, tenantId: string, publicId: string): EventDetail {
  const row = db
    .select({ ...summaryColumns, body: events.body })
    .from(events)
    .where(and(eq(events.tenantId, tenantId), eq(events.publicId, publicId)))
    .get();
  if (!row) throw new NotFound(`No event with id ${publicId}`);
  const ownDeliveries = db
    .select(deliveryColumns)
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .where(eq(deliveries.eventId, row.id))
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
    .limit(EVENT_DELIVERIES_SHOWN)
    .all() as DeliveryRow[];
  const total = db.select({ n: count() }).from(deliveries).where(eq(deliveries.eventId, row.id)).get()?.n ?? 0;
  return { summary: toSummary(row), payload: row.body, deliveries: ownDeliveries.map(toDelivery), deliveriesTotal: total };
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
