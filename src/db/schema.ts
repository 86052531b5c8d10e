// The whole database. Times are unix milliseconds (integers); API layers format them.
// JSON columns hold text exactly as it will be served, so reads never re-serialise.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * One customer of the operator's product (docs/tenancy.md). The id is the operator's own
 * customer id. `default` always exists: an install that never names a tenant lives in it.
 */
export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name"),
  /** JSON object. */
  metadata: text("metadata").notNull().default("{}"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const DEFAULT_TENANT = "default";

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** SHA-256 of the key, hex. The key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    /** Null: a platform key, acting on every tenant. Otherwise the one tenant it acts on. */
    tenantId: text("tenant_id"),
    canPublish: integer("can_publish", { mode: "boolean" }).notNull().default(true),
    expiresAt: integer("expires_at"),
    /** Written at most once a minute per key, so a busy key costs no write per request. */
    lastUsedAt: integer("last_used_at"),
    /** `portal`: the short-lived token of a portal link (tenant-scoped, never publishes). */
    kind: text("kind", { enum: ["api_key", "portal"] }).notNull().default("api_key"),
  },
  (t) => [index("api_keys_tenant_idx").on(t.tenantId)],
);

// Surface A: link-event webhooks.
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    /** JSON array of event type names. */
    events: text("events").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    /** JSON object. */
    metadata: text("metadata").notNull().default("{}"),
    secret: text("secret").notNull(),
    /** After a rotation the old secret keeps signing beside the new one until it expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    disabledReason: text("disabled_reason"),
    /** Last 2xx, or creation time: the clock for DELIVERY_DISABLE_AFTER_HOURS. */
    lastSuccessAt: integer("last_success_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    /**
     * JSON text of the condition on an event's `data` (links/filter.ts), null for every event.
     * Publish reads it beside the active flag in its join, and runs no matcher when it is null.
     */
    filter: text("filter"),
    // Delivery controls (docs/architecture.md, "Per-webhook delivery controls"); null: the server's defaults.
    /** JSON array of seconds, replacing DELIVERY_RETRY_SCHEDULE for this webhook. */
    retrySchedule: text("retry_schedule"),
    /** Per-attempt timeout, replacing DELIVERY_TIMEOUT_MS for this webhook. */
    timeoutMs: integer("timeout_ms"),
    /** JSON object of extra request headers (name → value), sent with every delivery. */
    headers: text("headers"),
    /** `fifo`: one delivery at a time, in publish order (docs/architecture.md, "Ordering and rate limits"); null: unordered. */
    ordering: text("ordering", { enum: ["fifo"] }),
    /** At most this many requests a second, over every node; null: no limit. */
    rateLimit: integer("rate_limit"),
    /**
     * The rate limit's state (GCRA's theoretical arrival time, unix microseconds): the claim
     * admits a row while this is at most a burst ahead of now, and moves it on by one interval per row.
     */
    rateLimitTatUs: integer("rate_limit_tat_us"),
  },
  // Lists page by rowid (creation order) within a tenant: (tenant_id, rowid) is this index, and
  // newest first is a backwards walk of it. No index on created_at: nothing reads one.
  (t) => [index("webhooks_tenant_idx").on(t.tenantId)],
);

/**
 * Which webhook subscribes to which event type: publish finds a tenant's subscribers by one
 * index range instead of parsing every webhook's `events`. Kept by the database itself in the
 * statement that writes the webhook (triggers on insert, on an update of `events` or
 * `tenant_id`, and on delete; migrations 0006 and 0007), so no writer can forget it. Whether
 * the webhook is active is read from `webhooks` by the join, so disabling needs no second write.
 * Its rows are always exactly the webhook's `events`, so the triggers find the rows to remove by
 * this key from OLD.events: no second index and no foreign key to check on every create
 * (both cost more than the rows themselves; test/bench/RESULTS.md). The table is WITHOUT ROWID
 * (migration 0007): the key is the table, one b-tree per row.
 */
export const webhookEventTypes = sqliteTable(
  "webhook_event_types",
  {
    tenantId: text("tenant_id").notNull(),
    eventType: text("event_type").notNull(),
    webhookId: text("webhook_id").notNull(),
  },
  // Publish reads (tenant, type) in webhook id order: oldest webhook first.
  (t) => [primaryKey({ columns: [t.tenantId, t.eventType, t.webhookId] })],
);

/** Every published event (and every traffic-source alert). `body` is the exact bytes sent. */
export const events = sqliteTable(
  "events",
  {
    /** The row's key, unique across tenants. */
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    body: text("body").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: integer("created_at").notNull(),
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    /**
     * The id publishers and receivers see (`webhook-id`): the publisher's own `id`, or `id`
     * when none was given. Unique per tenant, so two customers may both publish `order-1`.
     */
    publicId: text("public_id"),
    /** SHA-256 of what was published (type, id, data): a replayed key with another body is refused. */
    requestHash: text("request_hash"),
    /** The traffic source an alert was raised on (surface B); null for published events. */
    sourceId: text("source_id"),
    /** W3C `traceparent` of the publish request, so delivery attempt spans join its trace. */
    traceParent: text("trace_parent"),
  },
  (t) => [
    uniqueIndex("events_tenant_idempotency_key_idx").on(t.tenantId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
    uniqueIndex("events_tenant_public_id_idx").on(t.tenantId, t.publicId),
    // Retention walks events by age across tenants.
    index("events_created_idx").on(t.createdAt),
    // The event log (GET /api/v1/events): a tenant's events newest first, and of one type.
    index("events_tenant_created_idx").on(t.tenantId, t.createdAt),
    index("events_tenant_type_created_idx").on(t.tenantId, t.type, t.createdAt),
    index("events_source_created_idx").on(t.sourceId, t.createdAt).where(sql`${t.sourceId} is not null`),
  ],
);

/**
 * The outbox: one row per (event, target). A row is the unit of work:
 * pending → leased → delivered | pending (retry) | failed.
 * Exactly one of webhook_id / traffic_source_webhook_id is set; `transport` says which sender runs it.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    transport: text("transport", { enum: ["http", "discord"] }).notNull(),
    webhookId: text("webhook_id").references(() => webhooks.id, { onDelete: "cascade" }),
    trafficSourceWebhookId: text("traffic_source_webhook_id").references(() => trafficSourceWebhooks.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "leased", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    leaseExpiresAt: integer("lease_expires_at"),
    /**
     * The claim holding a leased row, where nodes share the table (PostgreSQL): outcomes are
     * written only under it. The SQLite store, one node by its serve lock, leases by rowid.
     */
    leaseToken: text("lease_token"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
    /** The event's tenant, copied so a delivery's owner is known without a join. */
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    /**
     * A copy of the webhook's `ordering = 'fifo'`, set when the row is queued and by an update
     * of the webhook: the claim tells ordered rows apart without reading the webhook.
     */
    fifo: integer("fifo", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    // The claim query walks this index: due rows of one status in time order.
    index("deliveries_due_idx").on(t.status, t.nextAttemptAt),
    // A fifo webhook's rows by status in publish order (the rowid rides in every index): the
    // claim finds the head of its line and a row in flight with a seek or two. Ordered rows only,
    // so unordered webhooks' rows never touch it.
    index("deliveries_fifo_idx").on(t.webhookId, t.status).where(sql`${t.fifo} = 1`),
    index("deliveries_webhook_idx").on(t.webhookId, t.createdAt),
    index("deliveries_traffic_source_webhook_idx").on(t.trafficSourceWebhookId, t.createdAt),
    index("deliveries_event_idx").on(t.eventId),
    // Delivery search across a tenant's webhooks (GET /api/v1/deliveries), newest first.
    index("deliveries_tenant_created_idx").on(t.tenantId, t.createdAt),
  ],
);

export const deliveryAttempts = sqliteTable(
  "delivery_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attemptedAt: integer("attempted_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    statusCode: integer("status_code"),
    /** At most 4 KiB of the response body. */
    responseBody: text("response_body"),
    error: text("error"),
  },
  (t) => [index("delivery_attempts_delivery_idx").on(t.deliveryId, t.attemptedAt)],
);

// Surface B: users, sessions, traffic sources and their Discord webhooks (traffic-source webhooks).
export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  /** Lower-cased on the way in, so uniqueness is case-insensitive. */
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** Set while the user is disabled: no sign-in, no session. */
  disabledAt: integer("disabled_at"),
});

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** SHA-256 of the opaque token, hex. */
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const trafficSources = sqliteTable(
  "traffic_sources",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("traffic_sources_owner_idx").on(t.ownerId, t.createdAt)],
);

export const trafficSourceWebhooks = sqliteTable(
  "traffic_source_webhooks",
  {
    id: text("id").primaryKey(),
    trafficSourceId: text("traffic_source_id")
      .notNull()
      .references(() => trafficSources.id, { onDelete: "cascade" }),
    type: text("type", { enum: ["discord"] }).notNull(),
    level: text("level", { enum: ["fatal", "warning", "info"] }).notNull(),
    value: text("value").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // One webhook per level per source, enforced by the database so racing creates cannot both win.
  (t) => [uniqueIndex("traffic_source_webhooks_level_idx").on(t.trafficSourceId, t.level)],
);

/**
 * The operator's own event types, beside the built-in ones (events/catalogue.ts), shared by every
 * tenant (docs/api-guide.md#event-types). `schema`, when set, is a JSON Schema every published
 * `data` must satisfy. Archived types still publish and still reach existing subscribers; new
 * subscriptions to them are refused.
 */
export const eventTypes = sqliteTable("event_types", {
  name: text("name").primaryKey(),
  description: text("description").notNull().default(""),
  /** JSON Schema (2020-12) of `data`, as sent. */
  schema: text("schema"),
  archivedAt: integer("archived_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
// Sign-in throttling (auth/login-rate-limit.ts). In the database, so every process on the file
// shares the counts.

/** Recent sign-in attempts, kept for the longest throttling window. */
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    id: integer("id").primaryKey(),
    /** Lower-cased, whether or not a user has it. */
    email: text("email").notNull(),
    /** The client's address (an IPv6 address by its /64). */
    address: text("address").notNull(),
    /** `pending` while the password is checked; counts as a failure until it turns out right. */
    outcome: text("outcome", { enum: ["pending", "failed", "succeeded"] }).notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("login_attempts_email_idx").on(t.email, t.at), index("login_attempts_address_idx").on(t.address, t.at)],
);

/** Addresses a user signed in from: the account-wide backoff does not hold them back. */
export const loginKnownAddresses = sqliteTable(
  "login_known_addresses",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    lastSuccessAt: integer("last_success_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.address] })],
);
