// The delivery log and manual re-delivery, over the database; no HTTP here.
import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer, preparedPerShape } from "../db/prepared";
import { deliveries, deliveryAttempts, events } from "../db/schema";
import { Conflict, NotFound, invalidField } from "../http/errors";
import { iso } from "../ids";
import { parsePage, toPage } from "../http/pagination";
import { findWebhookRow } from "../links/service";
import { SINCE_ERROR, type Delivery, type DeliveryListQuery, type DeliveryWithAttempts } from "./model";

export const deliveryColumns = {
  id: deliveries.id,
  // The id publishers and receivers know the event by (events.public_id).
  eventId: sql<string>`coalesce(${events.publicId}, ${events.id})`,
  tenantId: deliveries.tenantId,
  eventType: events.type,
  webhookId: deliveries.webhookId,
  status: deliveries.status,
  attempts: deliveries.attempts,
  nextAttemptAt: deliveries.nextAttemptAt,
  lastStatusCode: deliveries.lastStatusCode,
  lastError: deliveries.lastError,
  createdAt: deliveries.createdAt,
  updatedAt: deliveries.updatedAt,
  deliveredAt: deliveries.deliveredAt,
};
export interface DeliveryRow {
  id: string;
  eventId: string;
  tenantId: string;
  eventType: string;
  webhookId: string | null;
  status: Delivery["status"];
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export function toDelivery(row: DeliveryRow): Delivery {
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

function selectDeliveries(db: Db) {
  return db.select(deliveryColumns).from(deliveries).innerJoin(events, eq(events.id, deliveries.eventId));
}

/** Where a list page starts: the first page, after a row still there, or after a deleted one. */
type ListFrom = "start" | "afterRow" | "afterRowid";

const cursorCreatedAt = preparedPer((db) =>
  db
    .select({ createdAt: deliveries.createdAt })
    .from(deliveries)
    .where(eq(sql`${deliveries}.rowid`, sql.placeholder("rowid")))
    .prepare(),
);

interface ListShape {
  from: ListFrom;
  byStatus: boolean;
}

function prepareList(db: Db, { from, byStatus }: ListShape) {
  const rowId = sql<number>`${deliveries}.rowid`;
  const where: SQL[] = [eq(deliveries.webhookId, sql.placeholder("webhookId"))];
  if (from === "afterRow") where.push(sql`(${deliveries.createdAt}, ${rowId}) < (${sql.placeholder("createdAt")}, ${sql.placeholder("rowid")})`);
  if (from === "afterRowid") where.push(lt(rowId, sql.placeholder("rowid")));
  if (byStatus) where.push(eq(deliveries.status, sql.placeholder("status")));
  return db
    .select({ ...deliveryColumns, rowId })
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .where(and(...where))
    .orderBy(desc(deliveries.createdAt), desc(rowId))
    .limit(sql.placeholder("limit"))
    .prepare();
}

/** Each combination of start and filter is its own query, prepared once per connection (6 at most). */
const listQuery = preparedPerShape((s: ListShape) => `${s.from}:${+s.byStatus}`, prepareList);

/**
 * Newest first, with the shared rowid cursor. Ordered by (created_at, rowid) so the walk follows
 * the (webhook_id, created_at) index and a deep page is a seek, not a scan of the newer rows.
 */
export function listWebhookDeliveries(db: Db, webhookId: string, query: DeliveryListQuery, owner?: string) {
  // Bad parameters are a 400 before an unknown webhook is a 404, as when the schema refuses them.
  const { limit, beforeRowId } = parsePage(query);
  findWebhookRow(db, webhookId, owner);
  const after = beforeRowId === undefined ? undefined : cursorCreatedAt(db).get({ rowid: beforeRowId });
  const from: ListFrom = beforeRowId === undefined ? "start" : after ? "afterRow" : "afterRowid";
  const values = { webhookId, createdAt: after?.createdAt, rowid: beforeRowId, status: query.status, limit: limit + 1 };
  const rows = listQuery(db, { from, byStatus: Boolean(query.status) }).all(values) as (DeliveryRow & { rowId: number })[];
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map(toDelivery), pagination };
}

// One delivery and its attempt log: the console's and API's most frequent read of the log.
const deliveryById = preparedPer((db) => selectDeliveries(db).where(eq(deliveries.id, sql.placeholder("id"))).prepare());
const attemptsOf = preparedPer((db) =>
  db
    .select()
    .from(deliveryAttempts)
    .where(eq(deliveryAttempts.deliveryId, sql.placeholder("id")))
    .orderBy(asc(deliveryAttempts.attemptedAt), asc(deliveryAttempts.id))
    .prepare(),
);

/** Another tenant's delivery is answered exactly like one that does not exist. */
function findDelivery(db: Db, id: string, owner: string | undefined): Delivery {
  const row = deliveryById(db).get({ id }) as DeliveryRow | undefined;
  if (!row || (owner !== undefined && row.tenantId !== owner)) throw new NotFound(`No delivery with id ${id}`);
  return toDelivery(row);
}

export function getDelivery(db: Db, id: string, owner?: string): DeliveryWithAttempts {
  const delivery = findDelivery(db, id, owner);
  const attempts = attemptsOf(db).all({ id });
  return {
    ...delivery,
    attempt_log: attempts.map((a) => ({
      attempted_at: iso(a.attemptedAt),
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      response_body: a.responseBody,
      error: a.error,
    })),
  };
}

/**
 * Makes a delivery due now, whatever its state except in flight. A failed delivery gets one more
 * attempt (its retry budget is spent); a pending one just stops waiting.
 */
export function retryDelivery(db: Db, id: string, owner?: string, now = Date.now()): Delivery {
  return db.transaction(
    () => {
      const current = db
        .select({ status: deliveries.status, leaseExpiresAt: deliveries.leaseExpiresAt, webhookId: deliveries.webhookId, tenantId: deliveries.tenantId })
        .from(deliveries)
        .where(eq(deliveries.id, id))
        .get();
      if (!current || (owner !== undefined && current.tenantId !== owner)) throw new NotFound(`No delivery with id ${id}`);
      // A lease that has run out (the process that held it died) is not an attempt in progress.
      if (current.status === "leased" && (current.leaseExpiresAt ?? 0) > now) {
        throw new Conflict("The delivery is being attempted right now");
      }
      if (current.webhookId !== null && !findWebhookRow(db, current.webhookId).active) {
        throw new Conflict("The webhook is disabled; enable it (PATCH active: true) before retrying");
      }
      db.update(deliveries)
        .set({ status: "pending", nextAttemptAt: now, leaseExpiresAt: null, updatedAt: now })
        .where(eq(deliveries.id, id))
        .run();
      return findDelivery(db, id, owner);
    },
    { behavior: "immediate" },
  );
}

/** Makes every failed delivery of the webhook enqueued since `since` due now. */
export function recoverFailedDeliveries(db: Db, webhookId: string, sinceIso: string, owner?: string, now = Date.now()): number {
  const since = Date.parse(sinceIso);
  if (Number.isNaN(since) || since > now) throw invalidField("since", SINCE_ERROR);
  const webhook = findWebhookRow(db, webhookId, owner);
  if (!webhook.active) throw new Conflict("The webhook is disabled; enable it (PATCH active: true) before recovering");
  return db
    .update(deliveries)
    .set({ status: "pending", nextAttemptAt: now, updatedAt: now })
    .where(and(eq(deliveries.webhookId, webhookId), eq(deliveries.status, "failed"), gte(deliveries.createdAt, since)))
    .run().changes;
}
