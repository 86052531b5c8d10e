// Publishing: event + one delivery per subscribed active webhook, in one transaction, with
// idempotent replays keyed by the Idempotency-Key header or the publisher's event id.
import { and, count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { deliveries, events } from "../db/schema";
import { iso, newSortableId } from "../ids";
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES } from "./catalogue";
import { MAX_IDEMPOTENCY_KEY_LENGTH, type PublishedEvent, type PublishEventBody } from "./model";
import { invalidField, UnprocessableEntity } from "../http/errors";
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

export function subscribedWebhookTargets(db: Db, tenantId: string, type: string): OutboxTarget[] {
  return subscribedWebhookIds(db, tenantId, type).map((id) => ({ transport: "http" as const, webhookId: id }));
}

// The replay checks run on every publish that carries an Idempotency-Key or its own id:
// prepared once per connection (db/prepared.ts). Both are unique per tenant.
const eventColumns = { id: events.id, publicId: events.publicId, type: events.type, createdAt: events.createdAt, requestHash: events.requestHash };
const eventByKey = preparedPer((db) =>
  db
    .select(eventColumns)
    .from(events)
    .where(and(eq(events.tenantId, sql.placeholder("tenantId")), eq(events.idempotencyKey, sql.placeholder("key"))))
    .prepare(),
);
const eventByPublicId = preparedPer((db) =>
  db
    .select(eventColumns)
    .from(events)
    .where(and(eq(events.tenantId, sql.placeholder("tenantId")), eq(events.publicId, sql.placeholder("key"))))
    .prepare(),
);
const deliveryCount = preparedPer((db) =>
  db.select({ n: count() }).from(deliveries).where(eq(deliveries.eventId, sql.placeholder("eventId"))).prepare(),
);

export const IDEMPOTENCY_MISMATCH =
  "This idempotency key (or event id) was already used with a different request body; use a new key for a new event";

/**
 * What a replay must match: the type, the publisher's id and the data, as published. Events
 * stored before tenancy have none, and replay as they always did.
 */
export function requestHashOf(type: string, id: string | undefined, data: unknown): string {
  return Bun.SHA256.hash(JSON.stringify([type, id ?? null, data]), "hex");
}

function existingEvent(db: Db, lookup: typeof eventByKey, tenantId: string, key: string, requestHash: string): PublishedEvent | undefined {
  const row = lookup(db).get({ tenantId, key });
  if (!row) return undefined;
  if (row.requestHash !== null && row.requestHash !== requestHash) throw new UnprocessableEntity(IDEMPOTENCY_MISMATCH);
  const targets = deliveryCount(db).get({ eventId: row.id })?.n ?? 0;
  return { id: row.publicId ?? row.id, type: row.type, created_at: iso(row.createdAt), deliveries: targets };
}

/** Publishes into one tenant: only its subscribed webhooks get a delivery. */
export function publishEvent(
  db: Db,
  tenantId: string,
  input: PublishEventBody,
  idempotencyKey: string | undefined,
  traceParent: string | null = null,
): PublishResult {
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw invalidField("Idempotency-Key", `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  // The same connection throughout, so the plain `db` inside the callback is in the transaction.
  if (input.data === null || typeof input.data !== "object" || Array.isArray(input.data)) {
    throw invalidField("data", "must be a JSON object");
  }
  const requestHash = requestHashOf(input.type, input.id, input.data);
  return db.transaction(
    () => {
      const replay =
        (idempotencyKey !== undefined ? existingEvent(db, eventByKey, tenantId, idempotencyKey, requestHash) : undefined) ??
        (input.id !== undefined ? existingEvent(db, eventByPublicId, tenantId, input.id, requestHash) : undefined);
      if (replay) return { event: replay, replayed: true };

      const createdAt = Date.now();
      // The row's key is always generated: a publisher's own id need only be unique in its tenant.
      const id = newSortableId("evt", createdAt);
      const publicId = input.id ?? id;
      const targets = subscribedWebhookTargets(db, tenantId, input.type);
      const body = eventBody(publicId, input.type, createdAt, input.data);
      const event = { id, publicId, tenantId, type: input.type, body, idempotencyKey: idempotencyKey ?? null, requestHash, createdAt, traceParent };
      enqueueEvent(db, event, targets);
      return { event: { id: publicId, type: input.type, created_at: iso(createdAt), deliveries: targets.length }, replayed: false };
    },
    // Take the write lock up front: the replay check and the insert must see the same state.
    { behavior: "immediate" },
  );
}

export function listEventTypes(): { name: string; description: string }[] {
  return EVENT_TYPES.map((name) => ({ name, description: EVENT_TYPE_DESCRIPTIONS[name] }));
}
