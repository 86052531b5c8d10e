// Publishing: event + one delivery per subscribed active webhook, in one transaction, with
// idempotent replays keyed by the Idempotency-Key header or the publisher's event id.
import { and, count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { deliveries, events, webhookEventTypes, webhooks } from "../db/schema";
import { iso, newSortableId } from "../ids";
import { publishTypeFieldErrors } from "../event-types/service";
import { MAX_IDEMPOTENCY_KEY_LENGTH, type PublishedEvent, type PublishEventBody } from "./model";
import { UnprocessableEntity, type FieldError } from "../http/errors";
import type { EventTypeStore } from "../db/aggregates/event-types";
import { enqueueEvent, type OutboxTarget } from "./outbox";

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

// The tenant's active webhooks subscribed to a type, oldest first: one range of the
// subscriptions' primary key, and the webhook's row by its key for the active flag.
const subscribers = preparedPer((db) =>
  db
    .select({ webhookId: webhookEventTypes.webhookId })
    .from(webhookEventTypes)
    .innerJoin(webhooks, eq(webhooks.id, webhookEventTypes.webhookId))
    .where(and(eq(webhookEventTypes.tenantId, sql.placeholder("tenantId")), eq(webhookEventTypes.eventType, sql.placeholder("type")), eq(webhooks.active, true)))
    .orderBy(webhookEventTypes.webhookId)
    .prepare(),
);

export function subscribedWebhookTargets(db: Db, tenantId: string, type: string): OutboxTarget[] {
  return subscribers(db).all({ tenantId, type }).map((r) => ({ transport: "http" as const, webhookId: r.webhookId }));
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

function existingEvent(db: Db, lookup: typeof eventByKey, tenantId: string, key: string, requestHash: string | null): PublishedEvent | undefined {
  const row = lookup(db).get({ tenantId, key });
  if (!row) return undefined;
  if (row.requestHash !== null && requestHash !== null && row.requestHash !== requestHash) throw new UnprocessableEntity(IDEMPOTENCY_MISMATCH);
  const targets = deliveryCount(db).get({ eventId: row.id })?.n ?? 0;
  return { id: row.publicId ?? row.id, type: row.type, created_at: iso(row.createdAt), deliveries: targets };
}

/** Every rule of a publish request its schema cannot express (the body may not have passed it). */
export async function publishFieldErrors(
  types: EventTypeStore,
  input: { type?: unknown; data?: unknown },
  idempotencyKey: string | null | undefined,
): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  if (idempotencyKey != null && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    problems.push({ field: "Idempotency-Key", message: `Must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` });
  }
  // Absent data is the schema's to report ("Is required").
  if ("data" in input && (input.data === null || typeof input.data !== "object" || Array.isArray(input.data))) {
    problems.push({ field: "data", message: "Must be a JSON object" });
  }
  problems.push(...(await publishTypeFieldErrors(types, input.type, input.data)));
  return problems;
}

export interface PublishOptions {
  /** The payload's text as published (see eventBody). */
  dataJson?: string;
  /** W3C trace context of the publishing request, for the attempts' spans. */
  traceParent?: string | null;
}

/** Publishes into one tenant: only its subscribed webhooks get a delivery. The caller has checked the input (publishFieldErrors). */
export function publishEvent(
  db: Db,
  tenantId: string,
  input: PublishEventBody,
  idempotencyKey: string | undefined,
  { dataJson, traceParent = null }: PublishOptions = {},
): PublishResult {
  // Only a publish that can be replayed (a key or its own id) is compared later: the others skip
  // the hash on the hot path, and their rows keep none.
  const replayable = idempotencyKey !== undefined || input.id !== undefined;
  const requestHash = replayable ? requestHashOf(input.type, input.id, input.data) : null;
  // The same connection throughout, so the plain `db` inside the callback is in the transaction.
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
      const body = eventBody(publicId, input.type, createdAt, input.data, dataJson);
      const event = { id, publicId, tenantId, type: input.type, body, idempotencyKey: idempotencyKey ?? null, requestHash, createdAt, traceParent };
      enqueueEvent(db, event, targets);
      return { event: { id: publicId, type: input.type, created_at: iso(createdAt), deliveries: targets.length }, replayed: false };
    },
    // Take the write lock up front: the replay check and the insert must see the same state.
    { behavior: "immediate" },
  );
}
