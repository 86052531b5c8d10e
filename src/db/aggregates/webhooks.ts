// Link webhooks (surface A): the endpoints a tenant subscribes to event types. Which webhooks
// receive a published type is not asked here: publishing joins the subscriptions table
// (`webhook_event_types`) in its own transaction, kept by the database from `events`.
import type { Page, PageRequest } from "./page";

/**
 * A webhook's own delivery settings (docs/architecture.md, "Per-webhook delivery controls"),
 * each null when it has none: then the server's configuration applies.
 */
export interface DeliveryControls {
  /** Seconds to wait after each failed attempt, instead of DELIVERY_RETRY_SCHEDULE. */
  retrySchedule: number[] | null;
  /** Per-attempt timeout, instead of DELIVERY_TIMEOUT_MS. */
  timeoutMs: number | null;
  /** Extra request headers (name as given → value), sent with every delivery. */
  headers: Record<string, string> | null;
}

export interface WebhookRecord extends DeliveryControls {
  id: string;
  tenantId: string;
  url: string;
  /** Event type names, as given. */
  events: string[];
  active: boolean;
  /** The metadata object's JSON text, as sent (numbers keep every digit). */
  metadataJson: string;
  secret: string;
  /** After a rotation the old secret keeps signing beside the new one until it expires. */
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  disabledReason: string | null;
  /** JSON text of the condition on an event's data (links/filter.ts); null: every event. */
  filterJson: string | null;
  createdAt: number;
  updatedAt: number;
  /** Delivery controls (docs/architecture.md, "Ordering and rate limits"): null is none. */
  ordering: WebhookOrdering | null;
  /** Requests a second, over every node. */
  rateLimit: number | null;
}

export type WebhookOrdering = "fifo";

export interface NewWebhook {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  metadataJson: string;
  secret: string;
  /** Absent or null: every event. */
  filterJson?: string | null;
  createdAt: number;
  /** Absent: none (the server's defaults). */
  retrySchedule?: number[] | null;
  timeoutMs?: number | null;
  headers?: Record<string, string> | null;
  /** Absent: none. */
  ordering?: WebhookOrdering | null;
  rateLimit?: number | null;
}

/** The fields an update sets; absent ones keep their value. */
export interface WebhookChanges {
  url?: string;
  /** null removes the webhook's own setting: the server's default applies again. */
  retrySchedule?: number[] | null;
  timeoutMs?: number | null;
  headers?: Record<string, string> | null;
  events?: string[];
  metadataJson?: string;
  /** Replaces the secret outright: a rotated-out one stops signing at once… */
  secret?: string;
  /** …unless this is set: then the current secret becomes the previous one, signing beside `secret` until then. */
  keepPreviousUntil?: number;
  /**
   * true: enabled, the disabled reason cleared and the auto-disable clock restarted at `now`.
   * false: disabled with `disabledReason`.
   */
  active?: boolean;
  disabledReason?: string;
  /** A new filter's JSON text; null removes the filter. */
  filterJson?: string | null;
  /**
   * null clears it. Setting or clearing `fifo` also changes the webhook's deliveries still
   * queued, in the same transaction: they join the line, or leave it (due at once if they only
   * waited for it).
   */
  ordering?: WebhookOrdering | null;
  rateLimit?: number | null;
}

export interface WebhookListFilter {
  active?: boolean;
  /** Only webhooks subscribed to this event type. */
  event?: string;
}

/** What a webhook test writes: the event (its tenant is the webhook's) and one delivery to it. */
export interface TestEvent {
  id: string;
  type: string;
  body: string;
  createdAt: number;
  traceParent: string | null;
}

export type TestOutcome = { sent: true; deliveryId: string } | { sent: false; reason: "missing" | "disabled" };

/**
 * Every method that takes an id takes the caller's tenant too: `null` (a platform caller) finds
 * the webhook in any tenant; otherwise another tenant's webhook is answered as missing.
 */
export interface WebhookStore {
  /** In the group commit where there is one. False: the tenant does not exist, nothing written. */
  create(webhook: NewWebhook): Promise<boolean>;
  get(id: string, tenantId: string | null): Promise<WebhookRecord | undefined>;
  /** Undefined: no such webhook, nothing written. */
  update(id: string, tenantId: string | null, changes: WebhookChanges, now: number): Promise<WebhookRecord | undefined>;
  /** With its deliveries and their attempts. False: no such webhook. */
  delete(id: string, tenantId: string | null): Promise<boolean>;
  /** One tenant's webhooks, newest first. */
  list(tenantId: string, filter: WebhookListFilter, page: PageRequest): Promise<Page<WebhookRecord>>;
  /**
   * `secret` becomes the signing secret; the current one becomes the previous, signing beside
   * it until `previousExpiresAt` (only one previous is kept). False: no such webhook.
   */
  rotateSecret(id: string, tenantId: string | null, secret: string, previousExpiresAt: number, now: number): Promise<boolean>;
  /** One transaction: if the webhook exists and is active, the event and its one delivery, due at once. */
  sendTest(id: string, tenantId: string | null, event: TestEvent): Promise<TestOutcome>;
}
