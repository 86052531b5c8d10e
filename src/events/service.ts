// Publishing: event + one delivery per subscribed active webhook, in one transaction, with
// idempotent replays keyed by the Idempotency-Key header or the publisher's event id.
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { deliveries, events } from "../db/schema";
import { iso, newSortableId } from "../ids";
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES } from "./catalogue";
import { MAX_IDEMPOTENCY_KEY_LENGTH, type PublishedEvent, type PublishEventBody } from "./model";
import { rejectInvalidFields, type FieldError } from "../http/errors";
import { enqueueEvent, type OutboxTarget } from "./outbox";
import { subscribedWebhookIds } from "./subscriptions";

export interface PublishResult {
  event: PublishedEvent;
  /** True when an earlier publish with the same key or id answered instead. */
  replayed: boolean;
}

/**
 * The delivered bytes, built once: `{"id","type","created_at","data"}` in that order. `dataJson`,
 * when given, is the payload's text as published: it goes out as it came in, so numbers a double
 * cannot hold (1234567890123456789, 1e-400) reach the receiver digit for digit.
 */
export function eventBody(id: string, type: string, createdAt: number, data: unknown, dataJson = JSON.stringify(data)): string {
  return `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"created_at":"${iso(createdAt)}","data":${dataJson}}`;
}

export function subscribedWebhookTargets(db: Db, type: string): OutboxTarget[] {
  return subscribedWebhookIds(db, type).map((id) => ({ transport: "http" as const, webhookId: id }));
}

// The replay checks run on every publish that carries an Idempotency-Key or its own id:
// prepared once per connection (db/prepared.ts).
const eventColumns = { id: events.id, type: events.type, createdAt: events.createdAt };
const eventByKey = preparedPer((db) => db.select(eventColumns).from(events).where(eq(events.idempotencyKey, sql.placeholder("key"))).prepare());
const eventById = preparedPer((db) => db.select(eventColumns).from(events).where(eq(events.id, sql.placeholder("key"))).prepare());
const deliveryCount = preparedPer((db) =>
  db.select({ n: count() }).from(deliveries).where(eq(deliveries.eventId, sql.placeholder("eventId"))).prepare(),
);

function existingEvent(db: Db, lookup: typeof eventByKey, key: string): PublishedEvent | undefined {
  const row = lookup(db).get({ key });
  if (!row) return undefined;
  const targets = deliveryCount(db).get({ eventId: row.id })?.n ?? 0;
  return { id: row.id, type: row.type, created_at: iso(row.createdAt), deliveries: targets };
}

/** Every rule of a publish request its schema cannot express (the body may not have passed it). */
export function publishFieldErrors(input: { data?: unknown }, idempotencyKey: string | null | undefined): FieldError[] {
  const problems: FieldError[] = [];
  if (idempotencyKey != null && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    problems.push({ field: "Idempotency-Key", message: `Must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` });
  }
  // Absent data is the schema's to report ("Is required").
  if ("data" in input && (input.data === null || typeof input.data !== "object" || Array.isArray(input.data))) {
    problems.push({ field: "data", message: "Must be a JSON object" });
  }
  return problems;
}

/** `dataJson` as for eventBody: the payload's text as published. */
export function publishEvent(db: Db, input: PublishEventBody, idempotencyKey: string | undefined, dataJson?: string): PublishResult {
  rejectInvalidFields(publishFieldErrors(input, idempotencyKey));
  // The same connection throughout, so the plain `db` inside the callback is in the transaction.
  return db.transaction(
    () => {
      const replay =
        (idempotencyKey !== undefined ? existingEvent(db, eventByKey, idempotencyKey) : undefined) ??
        (input.id !== undefined ? existingEvent(db, eventById, input.id) : undefined);
      if (replay) return { event: replay, replayed: true };

      const id = input.id ?? newSortableId("evt");
      const createdAt = Date.now();
      const targets = subscribedWebhookTargets(db, input.type);
      const body = eventBody(id, input.type, createdAt, input.data, dataJson);
      enqueueEvent(db, { id, type: input.type, body, idempotencyKey: idempotencyKey ?? null, createdAt }, targets);
      return { event: { id, type: input.type, created_at: iso(createdAt), deliveries: targets.length }, replayed: false };
    },
    // Take the write lock up front: the replay check and the insert must see the same state.
    { behavior: "immediate" },
  );
}

export function listEventTypes(): { name: string; description: string }[] {
  return EVENT_TYPES.map((name) => ({ name, description: EVENT_TYPE_DESCRIPTIONS[name] }));
}
