// The whole database. Times are unix milliseconds (integers); API layers format them.
// JSON columns hold text exactly as it will be served, so reads never re-serialise.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** SHA-256 of the key, hex. The key itself is never stored. */
  keyHash: text("key_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
});

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
  },
  // No index on created_at: lists page by rowid (creation order), and an index nothing reads
  // cost every create an extra B-tree insert (~1.5 of its ~7 SQLite µs; test/bench/RESULTS.md).
);

/** Every published event (and every traffic-source alert). `body` is the exact bytes sent. */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    body: text("body").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("events_idempotency_key_idx").on(t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
    index("events_created_idx").on(t.createdAt),
  ],
);

/**
 * The outbox: one row per (event, target). A row is the unit of work:
 * pending → leased → delivered | pending (retry) | failed.
 * Exactly one of webhook_id / alert_webhook_id is set; `transport` says which sender runs it.
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
    alertWebhookId: text("alert_webhook_id").references(() => trafficSourceWebhooks.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "leased", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    leaseExpiresAt: integer("lease_expires_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    // The claim query walks this index: due rows of one status in time order.
    index("deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("deliveries_webhook_idx").on(t.webhookId, t.createdAt),
    index("deliveries_alert_webhook_idx").on(t.alertWebhookId, t.createdAt),
    index("deliveries_event_idx").on(t.eventId),
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

// Surface B: users, sessions, traffic sources and their Discord alert webhooks.
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
