// Reading alerts back (surface B): a source's alerts newest first, and one alert with the
// Discord message it sent and its delivery's every attempt.
import type { AlertRecord, SourceScope } from "../db/aggregates/traffic-sources";
import type { Store } from "../db/store";
import { BadRequest, type FieldError } from "../http/errors";
import { iso } from "../ids";
import { unlessRefused } from "./service";

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

function summary(row: AlertRecord) {
  return {
    id: row.id,
    trafficSourceId: row.trafficSourceId,
    level: levelOf(row.type),
    title: titleOf(row.body),
    createdAt: iso(row.createdAt),
    deliveries: row.delivered ? 1 : 0,
  };
}

export async function listAlerts(store: Store, scope: SourceScope, query: { limit?: string; before?: string }) {
  const limit = query.limit === undefined ? 20 : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
  const before = query.before === undefined ? undefined : Date.parse(query.before);
  const errors: FieldError[] = [];
  if (!(limit >= 1 && limit <= 100)) errors.push({ field: "limit", message: "Must be an integer from 1 to 100" });
  if (before !== undefined && Number.isNaN(before)) errors.push({ field: "before", message: "Must be an ISO-8601 date-time" });
  if (errors.length) {
    // An unknown or foreign source is answered before a bad query (404/403 first).
    unlessRefused(await store.trafficSources.get(scope));
    throw new BadRequest(errors);
  }
  return unlessRefused(await store.trafficSources.listAlerts(scope, { limit, before })).map(summary);
}

export async function getAlert(store: Store, scope: SourceScope, alertId: string) {
  const row = unlessRefused(await store.trafficSources.getAlert(scope, alertId));
  const delivery = row.delivery;
  return {
    ...summary(row),
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
          attemptLog: delivery.attemptLog.map((a) => ({
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
