// Publishing (the transactional outbox): an event row plus one delivery row per target, in one
// transaction. The delivery loop only ever reads the deliveries, so whatever is committed here
// is delivered or visibly failed, whatever happens to the process afterwards.

export type OutboxTarget =
  /** `fifo`: the webhook's `ordering` is fifo, when the caller has read it (else the store looks it up). */
  | { transport: "http"; webhookId: string; fifo?: boolean }
  | { transport: "discord"; trafficSourceWebhookId: string };

export interface NewEvent {
  /** The row's key, unique across tenants. */
  id: string;
  /** The id publishers and receivers see (`webhook-id`); `id` when absent. */
  publicId?: string;
  /** `default` when absent (traffic-source alerts, for one). */
  tenantId?: string;
  /** What a replay of the same idempotency key or id is compared with (events/service.ts). */
  requestHash?: string | null;
  /** The traffic source of an alert. */
  sourceId?: string;
  type: string;
  /** The exact bytes every target receives (for http: `{"id","type","created_at","data"}`). */
  body: string;
  idempotencyKey?: string | null;
  createdAt: number;
  /** W3C `traceparent` of the publish. */
  traceParent?: string | null;
}

/** A publish into one tenant, fanned out to its active webhooks subscribed to `event.type`. */
export interface PublishRequest {
  event: NewEvent & { tenantId: string; publicId: string };
  /** The publisher's own event id (`event.publicId` then), also a replay key; null when it gave none. */
  clientId: string | null;
  /**
   * The event's `data`, which subscribers' filters are tested against (links/filter.ts). When
   * absent, read from `event.body`, and only if a subscriber has a filter.
   */
  data?: unknown;
}

/** An earlier event that answers a replayed Idempotency-Key or id instead of a new one. */
export interface ReplayedEvent {
  publicId: string;
  type: string;
  createdAt: number;
  /** Null for events stored before replays were compared. */
  requestHash: string | null;
  deliveries: number;
}

export type PublishOutcome =
  | { replayed: false; deliveries: number }
  | { replayed: true; original: ReplayedEvent }
  /** The tenant was deleted after the request was checked: nothing was written. */
  | { replayed: false; noSuchTenant: true };

export interface PublishStore {
  /**
   * One transaction: if the tenant already has an event with `event.idempotencyKey` (or else
   * with `clientId`), that event, and nothing is written; otherwise the event and one delivery,
   * due at once, per subscribed active webhook of the tenant whose filter, if it has one,
   * matches the event's data (a webhook whose filter does not match gets no delivery and is
   * not counted). The tenant's existence is checked in the same transaction, so a tenant
   * deleted meanwhile gains no event.
   */
  publish(request: PublishRequest): Promise<PublishOutcome>;
  /** The event and one delivery per given target, in one transaction; the delivery ids. */
  enqueue(event: NewEvent, targets: readonly OutboxTarget[]): Promise<string[]>;
}
