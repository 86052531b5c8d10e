// The PostgreSQL twin of ../schema.ts: the same tables and columns under the same names
// (test/postgres-schema-parity.test.ts holds the two together), so both stores answer the same
// rows. Type choices:
// - Times are unix milliseconds in `bigint` (int8; `mode: "number"`: they fit 2^53). The driver
//   hands int8 over as a string; Drizzle's column maps it back to a number, raw SQL does not.
// - JSON columns stay `text`, never `jsonb`: bodies, metadata and schemas are served exactly as
//   they were sent, and jsonb would normalise them (key order, whitespace, `1.0` → `1`).
// - SQLite's 0/1 flags are `boolean`; the enum-like text columns stay `text`, as in SQLite.
// - SQLite lists page by rowid, which rides in every SQLite index. PostgreSQL has no rowid, so
//   its lists page by (created_at, id), and the indexes that order a list end in `id`.
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { DEFAULT_TENANT } from "../schema";

/** A unix-milliseconds time. */
const unixMs = (name: string) => bigint(name, { mode: "number" });

export const tenants = pgTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name"),
  /** JSON object. */
  metadata: text("metadata").notNull().default("{}"),
  createdAt: unixMs("created_at").notNull(),
  updatedAt: unixMs("updated_at").notNull(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** SHA-256 of the key, hex. The key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    createdAt: unixMs("created_at").notNull(),
    revokedAt: unixMs("revoked_at"),
    /** Null: a platform key, acting on every tenant. Otherwise the one tenant it acts on. */
    tenantId: text("tenant_id"),
    canPublish: boolean("can_publish").notNull().default(true),
    expiresAt: unixMs("expires_at"),
    lastUsedAt: unixMs("last_used_at"),
    kind: text("kind", { enum: ["api_key", "portal"] }).notNull().default("api_key"),
  },
  (t) => [index("api_keys_tenant_idx").on(t.tenantId)],
);

// Surface A: link-event webhooks.
export const webhooks = pgTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    /** JSON array of event type names. */
    events: text("events").notNull(),
    active: boolean("active").notNull().default(true),
    /** JSON object, served as stored. */
    metadata: text("metadata").notNull().default("{}"),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: unixMs("previous_secret_expires_at"),
    disabledReason: text("disabled_reason"),
    lastSuccessAt: unixMs("last_success_at"),
    createdAt: unixMs("created_at").notNull(),
    updatedAt: unixMs("updated_at").notNull(),
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    /** JSON text of the condition on an event's `data` (links/filter.ts); null: every event. */
    filter: text("filter"),
    /** Delivery controls, as in SQLite (src/db/schema.ts); null: the server's defaults. */
    retrySchedule: text("retry_schedule"),
    timeoutMs: integer("timeout_ms"),
    headers: text("headers"),
    ordering: text("ordering", { enum: ["fifo"] }),
    rateLimit: integer("rate_limit"),
    /** GCRA's theoretical arrival time, unix microseconds (see ../schema.ts). */
    rateLimitTatUs: bigint("rate_limit_tat_us", { mode: "number" }),
  },
  (t) => [index("webhooks_tenant_idx").on(t.tenantId, t.createdAt, t.id)],
);

/**
 * Which webhooks of a tenant receive an event type: publishing reads the subscribers of one
 * type instead of scanning every webhook's `events`.
 */
export const webhookEventTypes = pgTable(
  "webhook_event_types",
  {
    tenantId: text("tenant_id").notNull(),
    eventType: text("event_type").notNull(),
    webhookId: text("webhook_id").notNull(),
  },
  // The key is the publish lookup (tenant, type → webhooks). No foreign key, as in SQLite
  // (src/db/schema.ts); but where SQLite's triggers find a webhook's rows by key from OLD.events,
  // PostgreSQL's statements find them by webhook id (db/postgres/webhooks.ts): this index.
  (t) => [primaryKey({ columns: [t.tenantId, t.eventType, t.webhookId] }), index("webhook_event_types_webhook_idx").on(t.webhookId)],
);

/** Every published event (and every traffic-source alert). `body` is the exact text sent. */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    body: text("body").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: unixMs("created_at").notNull(),
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    publicId: text("public_id"),
    requestHash: text("request_hash"),
    sourceId: text("source_id"),
    traceParent: text("trace_parent"),
  },
  (t) => [
    // `ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL` must repeat
    // this predicate for PostgreSQL to infer the index.
    uniqueIndex("events_tenant_idempotency_key_idx").on(t.tenantId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
    uniqueIndex("events_tenant_public_id_idx").on(t.tenantId, t.publicId),
    index("events_created_idx").on(t.createdAt),
    index("events_tenant_created_idx").on(t.tenantId, t.createdAt, t.id),
    index("events_tenant_type_created_idx").on(t.tenantId, t.type, t.createdAt, t.id),
    index("events_source_created_idx").on(t.sourceId, t.createdAt).where(sql`${t.sourceId} is not null`),
  ],
);

/** The outbox: one row per (event, target); see ../schema.ts. */
export const deliveries = pgTable(
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
    /** For a leased row, its lease expiry: an expired lease is due again. */
    nextAttemptAt: unixMs("next_attempt_at").notNull(),
    leaseExpiresAt: unixMs("lease_expires_at"),
    /** The claim holding a leased row: every outcome write must carry it (a stalled node's cannot). */
    leaseToken: text("lease_token"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: unixMs("created_at").notNull(),
    updatedAt: unixMs("updated_at").notNull(),
    deliveredAt: unixMs("delivered_at"),
    tenantId: text("tenant_id").notNull().default(DEFAULT_TENANT),
    fifo: boolean("fifo").notNull().default(false),
    /**
     * Publish order, which SQLite has in its rowid: a fifo webhook's line is its unfinished rows
     * by `seq`. PostgreSQL-only (test/postgres-schema-parity.test.ts).
     */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
  },
  (t) => [
    // The claim (`… WHERE status IN ('pending','leased') AND next_attempt_at <= now ORDER BY
    // next_attempt_at FOR UPDATE SKIP LOCKED`) walks only unfinished rows; delivered and failed
    // rows, the bulk of the table, are not in it. The claim must repeat the predicate.
    index("deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'leased')`),
    // The failed count of /metrics (postgres/health.ts), read index-only: SQLite's due index,
    // (status, next_attempt_at), counts every status; the pending and leased counts here walk the
    // claim's index of unfinished rows. Only a row's move into or out of `failed` writes to it.
    index("deliveries_failed_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'failed'`),
    // A fifo webhook's line: its rows by status in publish order (see ../schema.ts).
    index("deliveries_fifo_idx").on(t.webhookId, t.status, t.seq).where(sql`${t.fifo}`),
    index("deliveries_webhook_idx").on(t.webhookId, t.createdAt, t.id),
    index("deliveries_traffic_source_webhook_idx").on(t.trafficSourceWebhookId, t.createdAt, t.id),
    index("deliveries_event_idx").on(t.eventId),
    index("deliveries_tenant_created_idx").on(t.tenantId, t.createdAt, t.id),
  ],
);

export const deliveryAttempts = pgTable(
  "delivery_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attemptedAt: unixMs("attempted_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    statusCode: integer("status_code"),
    /** At most 4 KiB of the response body. PostgreSQL text holds no NUL: strip it first. */
    responseBody: text("response_body"),
    error: text("error"),
  },
  (t) => [index("delivery_attempts_delivery_idx").on(t.deliveryId, t.attemptedAt)],
);

// Surface B: users, sessions, traffic sources and their Discord webhooks (traffic-source webhooks).
export const users = pgTable("users", {
  id: text("id").primaryKey(),
  /** Lower-cased on the way in, so uniqueness is case-insensitive. */
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  createdAt: unixMs("created_at").notNull(),
  updatedAt: unixMs("updated_at").notNull(),
  disabledAt: unixMs("disabled_at"),
});

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: unixMs("expires_at").notNull(),
    createdAt: unixMs("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const trafficSources = pgTable(
  "traffic_sources",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: unixMs("created_at").notNull(),
    updatedAt: unixMs("updated_at").notNull(),
  },
  (t) => [index("traffic_sources_owner_idx").on(t.ownerId, t.createdAt, t.id)],
);

export const trafficSourceWebhooks = pgTable(
  "traffic_source_webhooks",
  {
    id: text("id").primaryKey(),
    trafficSourceId: text("traffic_source_id")
      .notNull()
      .references(() => trafficSources.id, { onDelete: "cascade" }),
    type: text("type", { enum: ["discord"] }).notNull(),
    level: text("level", { enum: ["fatal", "warning", "info"] }).notNull(),
    value: text("value").notNull(),
    createdAt: unixMs("created_at").notNull(),
    updatedAt: unixMs("updated_at").notNull(),
  },
  (t) => [uniqueIndex("traffic_source_webhooks_level_idx").on(t.trafficSourceId, t.level)],
);

/** The operator's own event types, shared by every tenant; `schema` is kept as sent. */
export const eventTypes = pgTable("event_types", {
  name: text("name").primaryKey(),
  description: text("description").notNull().default(""),
  schema: text("schema"),
  archivedAt: unixMs("archived_at"),
  createdAt: unixMs("created_at").notNull(),
  updatedAt: unixMs("updated_at").notNull(),
});

/** Recent sign-in attempts, kept for the longest throttling window (shared by every node). */
export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    email: text("email").notNull(),
    address: text("address").notNull(),
    outcome: text("outcome", { enum: ["pending", "failed", "succeeded"] }).notNull(),
    at: unixMs("at").notNull(),
  },
  (t) => [index("login_attempts_email_idx").on(t.email, t.at), index("login_attempts_address_idx").on(t.address, t.at)],
);

export const loginKnownAddresses = pgTable(
  "login_known_addresses",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    lastSuccessAt: unixMs("last_success_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.address] })],
);
