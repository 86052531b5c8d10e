// Reading alerts back (surface B): a source's alerts newest first, and one alert with the
// Discord message it sent and its delivery's every attempt. Walks events_source_created_idx.
import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { deliveries, deliveryAttempts, events } from "../db/schema";
import { BadRequest, NotFound, type FieldError } from "../http/errors";
import { iso } from "../ids";

const at = (ms: number | null) => (ms === null ? null : iso(ms));

function levelOf(type: string): "fatal" | "warning" | "info" {
  return type.slice("alert.".length) as "fatal" | "warning" | "info";
}

function titleOf(body: string): string | null {
  try {
    const title = (JSON.parse(body) as { embeds?: { title?: unknown }[] }).embeds?.[0]?.title;
    return typeof title === "string" ? title : null;
  } catch {
    return null;
  }
}

const alertColumns = { id: events.id, type: events.type, body: events.body, createdAt: events.createdAt, sourceId: events.sourceId };
type AlertRow = { id: string; type: string; body: string; createdAt: number; sourceId: string | null };

function deliveryOf(db: Db, eventId: string) {
  return db.select().from(deliveries).where(eq(deliveries.eventId, eventId)).get();
}

function summary(db: Db, row: AlertRow) {
  return {
    id: row.id,
    trafficSourceId: row.sourceId!,
    level: levelOf(row.type),
    title: titleOf(row.body),
    createdAt: iso(row.createdAt),
    deliveries: deliveryOf(db, row.id) ? 1 : 0,
  };
}

export function listAlerts(db: Db, sourceId: string, query: { limit?: string; before?: string }) {
  const limit = query.limit === undefined ? 20 : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
  const before = query.before === undefined ? undefined : Date.parse(query.before);
  const errors: FieldError[] = [];
  if (!(limit >= 1 && limit <= 100)) errors.push({ field: "limit", message: "Must be an integer from 1 to 100" });
  if (before !== undefined && Number.isNaN(before)) errors.push({ field: "before", message: "Must be an ISO-8601 date-time" });
  if (errors.length) throw new BadRequest(errors);
  const rows = db
    .select(alertColumns)
    .from(events)
    .where(and(eq(events.sourceId, sourceId), before === undefined ? undefined : lt(events.createdAt, before)))
    .orderBy(desc(events.createdAt))
    .limit(limit)
    .all();
  return rows.map((row) => summary(db, row));
}

export function getAlert(db: Db, sourceId: string, alertId: string) {
  const row = db.select(alertColumns).from(events).where(and(eq(events.id, alertId), eq(events.sourceId, sourceId))).get();
  if (!row) throw new NotFound("The specified alert was not found");
  const delivery = deliveryOf(db, row.id);
  const attempts = delivery
    ? db.select().from(deliveryAttempts).where(eq(deliveryAttempts.deliveryId, delivery.id)).orderBy(asc(deliveryAttempts.attemptedAt), asc(deliveryAttempts.id)).all()
    : [];
  return {
    ...summary(db, row),
    discordMessage: JSON.parse(row.body) as unknown,
    delivery: delivery
      ? {
          id: delivery.id,
          status: delivery.status,
          attempts: delivery.attempts,
          nextAttemptAt: delivery.status === "pending" ? iso(delivery.nextAttemptAt) : null,
          lastStatusCode: delivery.lastStatusCode,
          lastError: delivery.lastError,
          deliveredAt: at(delivery.deliveredAt),
          attemptLog: attempts.map((a) => ({
            attemptedAt: iso(a.attemptedAt),
            durationMs: a.durationMs,
            statusCode: a.statusCode,
            responseBody: a.responseBody,
            error: a.error,
          })),
        }
      : null,
  };
}
