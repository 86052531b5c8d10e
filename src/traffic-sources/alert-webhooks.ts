// A traffic source's Discord webhooks, at most one per level. That rule is the unique index
// (traffic_source_id, level): inserts and level changes simply try, and a violation becomes
// 409, so two racing requests cannot both succeed.
import { and, eq, sql } from "drizzle-orm";
import { isUniqueViolation } from "../db/constraint";
import type { Db } from "../db/client";
import { trafficSourceWebhooks } from "../db/schema";
import { Conflict, NotFound } from "../http/errors";
import { iso } from "../ids";
import type { AlertWebhook, CreateAlertWebhookBody, UpdateAlertWebhookBody } from "./model";

type AlertWebhookRow = typeof trafficSourceWebhooks.$inferSelect;

const levelTaken = () => new Conflict("A webhook for this severity level already exists on this traffic source");

/** Exactly the documented object, in the documented key order. */
export function toAlertWebhook(row: AlertWebhookRow): AlertWebhook {
  return {
    id: row.id,
    type: row.type,
    level: row.level,
    value: row.value,
    trafficSourceId: row.trafficSourceId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function createAlertWebhook(db: Db, trafficSourceId: string, input: CreateAlertWebhookBody): AlertWebhook {
  const now = Date.now();
  try {
    const row = db
      .insert(trafficSourceWebhooks)
      .values({ id: crypto.randomUUID(), trafficSourceId, type: input.type, level: input.level, value: input.value, createdAt: now, updatedAt: now })
      .returning()
      .get();
    return toAlertWebhook(row);
  } catch (e) {
    if (isUniqueViolation(e)) throw levelTaken();
    throw e;
  }
}

export function listAlertWebhooks(db: Db, trafficSourceId: string): AlertWebhook[] {
  return db
    .select()
    .from(trafficSourceWebhooks)
    .where(eq(trafficSourceWebhooks.trafficSourceId, trafficSourceId))
    .orderBy(sql`case ${trafficSourceWebhooks.level} when 'fatal' then 0 when 'warning' then 1 else 2 end`)
    .all()
    .map(toAlertWebhook);
}

const byIds = (trafficSourceId: string, id: string) =>
  and(eq(trafficSourceWebhooks.id, id), eq(trafficSourceWebhooks.trafficSourceId, trafficSourceId));

const noWebhook = () => new NotFound("The specified webhook was not found on this traffic source");

export function updateAlertWebhook(db: Db, trafficSourceId: string, id: string, input: UpdateAlertWebhookBody): AlertWebhook {
  const changes: Partial<typeof trafficSourceWebhooks.$inferInsert> = { updatedAt: Date.now() };
  if (input.type !== undefined) changes.type = input.type;
  if (input.level !== undefined) changes.level = input.level;
  if (input.value !== undefined) changes.value = input.value;
  try {
    const row = db.update(trafficSourceWebhooks).set(changes).where(byIds(trafficSourceId, id)).returning().get();
    if (!row) throw noWebhook();
    return toAlertWebhook(row);
  } catch (e) {
    if (isUniqueViolation(e)) throw levelTaken();
    throw e;
  }
}

/** Deleting a webhook also drops its pending deliveries (ON DELETE CASCADE). */
export function deleteAlertWebhook(db: Db, trafficSourceId: string, id: string): void {
  const result = db.delete(trafficSourceWebhooks).where(byIds(trafficSourceId, id)).run();
  if (result.changes === 0) throw noWebhook();
}

export function findAlertWebhookForLevel(db: Db, trafficSourceId: string, level: AlertWebhookRow["level"]) {
  return db
    .select()
    .from(trafficSourceWebhooks)
    .where(and(eq(trafficSourceWebhooks.trafficSourceId, trafficSourceId), eq(trafficSourceWebhooks.level, level)))
    .get();
}
