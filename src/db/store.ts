// What the services and the delivery loop may ask of a database, and nothing else: only src/db/
// imports a driver. Operations are coarse (one business step, one transaction) and asynchronous,
// so a SQLite store (src/db/sqlite/) and a store on a server database can both stand behind it.
// Nothing here is SQLite's own: leases and cursors are opaque strings the store makes and reads.
import type { ApiKeyStore } from "./aggregates/api-keys";
import type { LoginThrottleStore } from "./aggregates/login-throttle";
import type { TenantStore } from "./aggregates/tenants";
import type { SessionStore, UserStore } from "./aggregates/users";
import type { PublishStore } from "./aggregates/publish";
import type { HealthStore } from "./aggregates/health";
import type { DeliveryLogStore } from "./aggregates/delivery-log";
import type { EventLogStore } from "./aggregates/event-log";
import type { EventTypeStore } from "./aggregates/event-types";
import type { DeliveryControls, WebhookStore } from "./aggregates/webhooks";
import type { TrafficSourceStore } from "./aggregates/traffic-sources";
import type { ListCursors } from "./aggregates/page";

/** A claimed delivery row, leased to the caller until its outcome is recorded or the lease runs out. */
export interface ClaimedDelivery {
  /** Opaque proof of this claim: every outcome written for the row carries it back. */
  lease: string;
  id: string;
  eventId: string;
  /** The id receivers and logs know the event by (`webhook-id`). */
  publicEventId: string;
  transport: "http" | "discord";
  webhookId: string | null;
  trafficSourceWebhookId: string | null;
  /** Attempts made before this one. */
  attempts: number;
  /** When the event was published (a delivery row is created with its event). */
  createdAt: number;
  tenantId: string;
}

export interface EventBody {
  /** The exact bytes every target receives. */
  body: string;
  /** W3C `traceparent` of the publish, the parent of the attempt spans. */
  traceParent: string | null;
}

/**
 * What a webhook delivery needs of its webhook: where, the secrets that sign it, and its own
 * delivery controls (null: the server's configuration), read with every claim so a change made
 * on any node applies from the next claim on.
 */
export interface WebhookTarget extends DeliveryControls {
  id: string;
  url: string;
  active: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
}

/** What the loop decided after one attempt (or instead of one); `DeliveryQueue.record` writes it. */
export type AttemptResult = {
  deliveryId: string;
  /** The lease of the claim the attempt was made under. */
  lease: string;
  webhookId: string | null;
  attemptedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
} & (
  | { kind: "delivered" }
  | { kind: "retry"; nextAttemptAt: number }
  /** Failed for good; the webhook is disabled with `silenceReason` if it has had no success since `disableIfSilentSince`. */
  | { kind: "exhausted"; disableIfSilentSince: number; silenceReason: string }
  | { kind: "gone"; reason: string }
  /** Not attempted: the webhook was disabled or deleted after the event was queued. */
  | { kind: "skipped" }
  /** Not attempted: put back as pending, due at `nextAttemptAt` (its target's share of slots was full). */
  | { kind: "deferred"; nextAttemptAt: number }
);

export interface ClaimRequest {
  now: number;
  /** At most this many rows. */
  limit: number;
  /** How long the lease lasts: past it, the row is due again (a crashed worker loses nothing). */
  leaseMs: number;
}

/** Claimed rows with what sending them needs, each event body and webhook read once. */
export interface ClaimedBatch {
  deliveries: ClaimedDelivery[];
  /** By event id. */
  events: Map<string, EventBody>;
  /** By webhook id; a webhook deleted since its rows were queued is missing. */
  webhooks: Map<string, WebhookTarget>;
  /**
   * Due rows the claim looked at but gave back, held by a delivery control of their webhook
   * (db/delivery-controls.ts): not attempts. They count against the claim's limit, so a claim
   * that gave rows back may have left more due.
   */
  putBack: number;
  /** When something this turn made due later is due (rows given back, the next of a fifo line): the loop wakes then. */
  wakeAt?: number;
}

/** The deliveries table as a work queue. */
export interface DeliveryQueue {
  /**
   * One commit for a whole turn of the loop: the outcomes gathered since the last one, then,
   * when `claim` is given, up to `claim.limit` due rows leased, with their event bodies and webhook targets.
   */
  recordAndClaim(results: readonly AttemptResult[], claim: ClaimRequest | null): Promise<ClaimedBatch>;
  /**
   * Extends the leases of these claimed rows, still this caller's, to `now + leaseMs`: a node
   * renews what it holds while it works on it, so leases can be short and a dead node's rows are
   * taken over soon (docs/scaling.md). Resolves with how many were still held.
   */
  renew(claims: readonly { id: string; lease: string }[], now: number, leaseMs: number): Promise<number>;
  /** Makes these claimed rows due at `now` (a stopping loop hands unfinished work on). */
  release(claims: readonly { id: string; lease: string }[], now: number): Promise<number>;
  /**
   * Makes due at `now` every row this node leased before it started (it crashed or was killed
   * holding them): called once at start-up, before the loop claims. SQLite: every leased row,
   * as the server holds the file's serve lock, so each lease is a dead server's. PostgreSQL:
   * the rows whose lease names this node (docs/scaling.md); other nodes' leases stand.
   */
  releaseOwnLeases(now: number): Promise<number>;
}


export interface PurgeCounts {
  deliveries: number;
  attempts: number;
  events: number;
  /** Portal links (docs/tenancy.md) that expired more than a day ago: nobody can use them again. */
  portalKeys: number;
}

/** RETENTION_DAYS (docs/architecture.md): what is old enough to go. */
export interface Retention {
  /**
   * Deletes delivered deliveries and attempt logs older than `retentionDays`, then events nothing
   * refers to any more, then long-expired portal links, in small batches that leave room for
   * other work between them. `keepGoing` is asked before every batch: false ends the purge early.
   */
  purgeExpired(retentionDays: number, now: number, keepGoing?: () => boolean): Promise<PurgeCounts>;
}

export interface Store {
  readonly queue: DeliveryQueue;
  readonly retention: Retention;
  readonly tenants: TenantStore;
  readonly apiKeys: ApiKeyStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly publish: PublishStore;
  readonly health: HealthStore;
  readonly deliveryLog: DeliveryLogStore;
  readonly eventLog: EventLogStore;
  readonly webhooks: WebhookStore;
  readonly eventTypes: EventTypeStore;
  readonly trafficSources: TrafficSourceStore;
  /** The format of every list cursor this store makes (http/pagination.ts checks a cursor with it). */
  readonly cursors: ListCursors;
}
