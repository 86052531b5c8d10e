// Publishing: event + one delivery per subscribed active webhook, in one transaction, with
// idempotent replays keyed by the Idempotency-Key header or the publisher's event id.
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { deliveries, events } from "../db/schema";
import { iso, newSortableId } from "../ids";
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES } from "./catalogue";
import { MAX_IDEMPOTENCY_KEY_LENGTH, type PublishedEvent, type PublishEventBody } from "./model";
import { invalidField } from "../http/errors";
import { enqueueEvent, type OutboxTarget } from "./outbox";
import { subscribedWebhookIds } from "./subscriptions";

export interface PublishResult {
  event: PublishedEvent;
  /** True when an earlier publish with the same key or id answered instead. */
  replayed: boolean;
}

/** The delivered bytes, built once: `{"id","type","created_at","data"}` in that order. */
export function eventBody(id: string, type: string, createdAt: number, data: unknown): string {
  return JSON.stringify({ id, type, created_at: iso(createdAt), data });
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

export function publishEvent(db: Db, input: PublishEventBody, idempotencyKey: string | undefined, traceParent: string | null = null): PublishResult {
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw invalidField("Idempotency-Key", `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  // The same connection throughout, so the plain `db` inside the callback is in the transaction.
  if (input.data === null || typeof input.data !== "object" || Array.isArray(input.data)) {
    throw invalidField("data", "must be a JSON object");
  }
  return db.transaction(
    () => {
      const replay =
        (idempotencyKey !== undefined ? existingEvent(db, eventByKey, idempotencyKey) : undefined) ??
        (input.id !== undefined ? existingEvent(db, eventById, input.id) : undefined);
      if (replay) return { event: replay, replayed: true };

      const id = input.id ?? newSortableId("evt");
      const createdAt = Date.now();
      const targets = subscribedWebhookTargets(db, input.type);
      const body = eventBody(id, input.type, createdAt, input.data);
      enqueueEvent(db, { id, type: input.type, body, idempotencyKey: idempotencyKey ?? null, createdAt, traceParent }, targets);
      return { event: { id, type: input.type, created_at: iso(createdAt), deliveries: targets.length }, replayed: false };
    },
    // Take the write lock up front: the replay check and the insert must see the same state.
    { behavior: "immediate" },
  );
}

export function listEventTypes(): { name: string; description: string }[] {
  return EVENT_TYPES.map((name) => ({ name, description: EVENT_TYPE_DESCRIPTIONS[name] }));
}
