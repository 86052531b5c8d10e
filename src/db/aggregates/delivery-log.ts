// The delivery log: what became of each delivery and each attempt, read back by page, and
// made due again by hand. `owner` is the tenant a caller is confined to; null for a platform
// caller, who may name any tenant's webhook or delivery.

export type DeliveryStatus = "pending" | "leased" | "delivered" | "failed";

export interface DeliveryRecord {
  id: string;
  /** The id publishers and receivers know the event by (`webhook-id`). */
  eventId: string;
  tenantId: string;
  eventType: string;
  /** Null for traffic-source alerts. */
  webhookId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface AttemptRecord {
  attemptedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
}

/** A page of a log, newest first. */
export interface LogPage<T> {
  items: T[];
  /** Opaque: hand it back as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
  hasMore: boolean;
}

export interface PageRequest {
  limit: number;
  /** `nextCursor` of an earlier page of the same list. */
  cursor?: string;
}

export interface DeliveryFilters {
  status?: DeliveryStatus;
  /** Walks this webhook's deliveries instead of the tenant's. */
  webhookId?: string;
  eventType?: string;
  /** The event's public id. */
  eventId?: string;
  /** Created at or after (epoch ms). */
  since?: number;
  /** Created before (epoch ms). */
  until?: number;
}

export interface SearchRequest extends PageRequest {
  /**
   * Rows one request may look at, matching or not: when they hold fewer matches than a page,
   * the page ends early with a cursor after the last row looked at, and `hasMore`.
   */
  window: number;
}

export type RetryOutcome =
  | { kind: "retried"; delivery: DeliveryRecord }
  | { kind: "missing" }
  /** Leased under a lease that has not run out: an attempt is in flight. */
  | { kind: "in_flight" }
  | { kind: "webhook_disabled" };

export type RecoverOutcome = { kind: "recovered"; count: number } | { kind: "missing" } | { kind: "webhook_disabled" };

export interface BulkRetryOutcome {
  retried: number;
  /** Matches left alone: in flight, or their webhook is disabled. */
  skipped: number;
  nextCursor: string | null;
  hasMore: boolean;
}

export interface DeliveryLogStore {
  /** A webhook's deliveries, optionally of one status; null when the owner has no such webhook. */
  listForWebhook(webhookId: string, owner: string | null, status: DeliveryStatus | undefined, page: PageRequest): Promise<LogPage<DeliveryRecord> | null>;
  /** One tenant's deliveries matching the filters; null when `filters.webhookId` names no webhook of the owner. */
  search(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest): Promise<LogPage<DeliveryRecord> | null>;
  /** A delivery with its attempts, oldest first; null when the owner has none with that id. */
  get(id: string, owner: string | null): Promise<{ delivery: DeliveryRecord; attempts: AttemptRecord[] } | null>;
  /** Makes one delivery due at `now` (a failed one gets one more attempt), in one transaction. */
  retry(id: string, owner: string | null, now: number): Promise<RetryOutcome>;
  /** Makes the webhook's failed deliveries created at or after `since` due at `now`. */
  recoverFailed(webhookId: string, owner: string | null, since: number, now: number): Promise<RecoverOutcome>;
  /**
   * Makes the matches of one search window due at `now` (at most `request.limit`), as `retry`
   * would each; null as for `search`. One transaction.
   */
  retryMatching(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest, now: number): Promise<BulkRetryOutcome | null>;
}
