// Publishing: event + one delivery per subscribed active webhook, in one transaction, with
// idempotent replays keyed by the Idempotency-Key header or the publisher's event id. The store
// (db/aggregates/publish.ts) writes; this decides what is written and what a replay must match.
import type { Store } from "../db/store";
import { iso, newSortableId } from "../ids";
import { eventBody } from "./body";
import { publishTypeFieldErrors } from "../event-types/service";
import { MAX_IDEMPOTENCY_KEY_LENGTH, type PublishedEvent, type PublishEventBody } from "./model";
import { BadRequest, UnprocessableEntity, type FieldError } from "../http/errors";
import { NO_SUCH_TENANT } from "../tenants/scope";
import type { EventTypeStore } from "../db/aggregates/event-types";

export interface PublishResult {
  event: PublishedEvent;
  /** True when an earlier publish with the same key or id answered instead. */
  replayed: boolean;
}

export { eventBody } from "./body";

export const IDEMPOTENCY_MISMATCH =
  "This idempotency key (or event id) was already used with a different request body; use a new key for a new event";

/**
 * What a replay must match: the type, the publisher's id and the data, as published. Events
 * stored before tenancy have none, and replay as they always did.
 */
export function requestHashOf(type: string, id: string | undefined, data: unknown): string {
  return Bun.SHA256.hash(JSON.stringify([type, id ?? null, data]), "hex");
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
export async function publishEvent(
  store: Store,
  tenantId: string,
  input: PublishEventBody,
  idempotencyKey: string | undefined,
  { dataJson, traceParent = null }: PublishOptions = {},
): Promise<PublishResult> {
  // Only a publish that can be replayed (a key or its own id) is compared later: the others skip
  // the hash on the hot path, and their rows keep none.
  const replayable = idempotencyKey !== undefined || input.id !== undefined;
  const requestHash = replayable ? requestHashOf(input.type, input.id, input.data) : null;
  const createdAt = Date.now();
  // The row's key is always generated: a publisher's own id need only be unique in its tenant.
  const id = newSortableId("evt", createdAt);
  const publicId = input.id ?? id;
  const body = eventBody(publicId, input.type, createdAt, input.data, dataJson);
  const event = { id, publicId, tenantId, type: input.type, body, idempotencyKey: idempotencyKey ?? null, requestHash, createdAt, traceParent };
  const outcome = await store.publish.publish({ event, clientId: input.id ?? null, data: input.data });
  if ("noSuchTenant" in outcome) throw new BadRequest([{ field: "tenant_id", message: NO_SUCH_TENANT }]);
  if (!outcome.replayed) return { event: { id: publicId, type: input.type, created_at: iso(createdAt), deliveries: outcome.deliveries }, replayed: false };
  const { original } = outcome;
  // Nothing was written: refusing now leaves the store as it was.
  if (original.requestHash !== null && requestHash !== null && original.requestHash !== requestHash) throw new UnprocessableEntity(IDEMPOTENCY_MISMATCH);
  return { event: { id: original.publicId, type: original.type, created_at: iso(original.createdAt), deliveries: original.deliveries }, replayed: true };
}
