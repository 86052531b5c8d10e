// Link webhooks over the database: plain functions, no HTTP. Validation that a schema cannot
// express (URL rules, SSRF literals, metadata size) happens here, before anything is written.
import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer, preparedPerShape } from "../db/prepared";
import { webhookEventTypes, webhooks } from "../db/schema";
import { refuseLiteralHost } from "../delivery/ssrf";
import { WHSEC_PREFIX } from "../delivery/sign";
import { NotFound, rejectInvalidFields, type FieldError } from "../http/errors";
import { pageFieldErrors, parsePage, toPage } from "../http/pagination";
import { iso, newSortableId, pooledRandomBytes } from "../ids";
import { parseJsonExact } from "../http/json-text";
import { knownTypeFieldErrors, subscriptionFieldErrors } from "../event-types/service";
import { EVENTS_ERROR, METADATA_ERROR, type CreateWebhookBody, type UpdateWebhookBody, type Webhook } from "./model";

export const MAX_METADATA_BYTES = 16 * 1024;

type WebhookRow = typeof webhooks.$inferSelect;

export interface UrlPolicy {
  allowPrivate: boolean;
}

export function generateSecret(): string {
  return WHSEC_PREFIX + pooledRandomBytes(32).toString("base64");
}

/** Why the URL breaks a rule, or undefined when it passes every one. */
export function webhookUrlProblem(raw: string, policy: UrlPolicy): string | undefined {
  // The URL parser silently strips control characters (tab, CR, LF…) and surrounding spaces,
  // so it would check and deliver to another URL than the one stored: refuse them instead.
  // Inner spaces are kept as given; the parser percent-encodes them for delivery.
  if (/[\u0000-\u001f\u007f]/.test(raw) || raw !== raw.trim()) return "Must not contain control characters or surrounding spaces";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Must be an absolute http(s) URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "Must use http or https";
  // The parser reports an empty user name and password ("http://@host/", "http://:@host/") as
  // none at all, so look for the "@" of a userinfo in the authority as written.
  if (url.username || url.password || hasUserinfo(raw)) return "Must not contain a user name or password";
  if (!url.hostname) return "Must have a host";
  if (!policy.allowPrivate) return refuseLiteralHost(url.hostname);
  return undefined;
}

/**
 * Whether the authority of an http(s) URL, as written, holds an "@". As the URL parser does for
 * these schemes, any run of slashes and backslashes after the colon leads to the authority
 * (`http:@host`, `http:\\@host`), and a slash, backslash, `?` or `#` ends it.
 */
function hasUserinfo(raw: string): boolean {
  const afterScheme = raw.slice(raw.indexOf(":") + 1).replace(/^[/\\]*/, "");
  return afterScheme.split(/[/?#\\]/, 1)[0]!.includes("@");
}

/**
 * A `whsec_` secret is base64 key bytes (docs/api-guide.md#signatures). Lenient decoding would turn
 * `whsec_!!!!!!!!` into an empty key, and a few zero bytes sign like an empty key too, so such
 * secrets must be strict base64 of 24 to 64 bytes. Other secrets are used as their UTF-8 bytes.
 */
function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith(WHSEC_PREFIX)) return undefined;
  const encoded = secret.slice(WHSEC_PREFIX.length);
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) && encoded.length % 4 === 0 ? Buffer.from(encoded, "base64") : undefined;
  if (!bytes || bytes.length < 24 || bytes.length > 64 || bytes.every((b) => b === 0)) {
    return "A secret starting with whsec_ must be base64 of 24 to 64 random bytes";
  }
  return undefined;
}

/** The fields of a create or update body, as sent: the schema may not have accepted them yet. */
export interface WebhookFields {
  url?: unknown;
  events?: unknown;
  secret?: unknown;
  metadata?: unknown;
}

/**
 * Every rule of a webhook body that its schema cannot express, checked together so one answer
 * lists them all. A field of the wrong type is left to the schema, which reports it.
 * `metadataJson` is the metadata's text as sent (its size is what is stored).
 */
export function webhookFieldErrors(db: Db, input: WebhookFields, policy: UrlPolicy, metadataJson?: string): FieldError[] {
  const problems: FieldError[] = [];
  if (typeof input.url === "string") {
    const problem = webhookUrlProblem(input.url, policy);
    if (problem) problems.push({ field: "url", message: problem });
  }
  if (Array.isArray(input.events) && new Set(input.events).size !== input.events.length) {
    problems.push({ field: "events", message: EVENTS_ERROR });
  }
  problems.push(...subscriptionFieldErrors(db, input.events));
  if (typeof input.secret === "string") {
    const problem = secretProblem(input.secret);
    if (problem) problems.push({ field: "secret", message: problem });
  }
  if (input.metadata !== undefined && metadataProblem(input.metadata, metadataJson)) {
    problems.push({ field: "metadata", message: METADATA_ERROR });
  }
  return problems;
}

function metadataProblem(metadata: unknown, json: string | undefined): boolean {
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return true;
  return Buffer.byteLength(json ?? JSON.stringify(metadata)) > MAX_METADATA_BYTES;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events),
    active: row.active,
    metadata: parseJsonExact(row.metadata) as Record<string, unknown>,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    disabled_reason: row.disabledReason,
    tenant_id: row.tenantId,
  };
}

/**
 * `metadataJson`, when given, is the metadata's text as sent: it is stored as it is, so numbers
 * a double cannot hold digit for digit (1234567890123456789, 1e-400) come back unchanged.
 */
export function createWebhook(db: Db, tenantId: string, input: CreateWebhookBody, policy: UrlPolicy, metadataJson?: string): Webhook {
  rejectInvalidFields(webhookFieldErrors(db, input, policy, metadataJson));
  const { url } = input;
  const events = JSON.stringify(input.events);
  const metadata = input.metadata === undefined ? "{}" : (metadataJson ?? JSON.stringify(input.metadata));
  const secret = input.secret ?? generateSecret();
  const now = Date.now();
  // Time-ordered (like event and delivery ids, and Svix's KSUIDs): new rows land at the end
  // of the primary-key index instead of on a random page of it, which a commit then rewrites.
  const id = newSortableId("whk", now);
  insertWebhook(db).run({ id, url, events, metadata, secret, now, tenantId });
  // Everything the answer holds is known here: no RETURNING, no row to map back.
  const at = iso(now);
  const shownMetadata = metadataJson === undefined ? (input.metadata ?? {}) : (parseJsonExact(metadataJson) as Record<string, unknown>);
  return {
    id, url, events: input.events, active: true, metadata: shownMetadata,
    created_at: at, updated_at: at, disabled_reason: null, tenant_id: tenantId,
  };
}

// The create route's only statement, compiled once per connection (see db/prepared.ts).
const insertWebhook = preparedPer((db) =>
  db.$client.prepare(
    `INSERT INTO webhooks (id, url, events, active, metadata, secret, last_success_at, created_at, updated_at, tenant_id)
     VALUES (:id, :url, :events, 1, :metadata, :secret, :now, :now, :now, :tenantId)`,
  ),
);

// Reads behind most webhook routes: built once per connection, so a request skips Drizzle's
// query builder (~25 µs a query; see db/prepared.ts).
const webhookById = preparedPer((db) => db.select().from(webhooks).where(eq(webhooks.id, sql.placeholder("id"))).prepare());

/**
 * The webhook with this id, if it belongs to `owner` (any tenant when undefined): another
 * tenant's webhook is answered exactly like one that does not exist.
 */
export function findWebhookRow(db: Db, id: string, owner?: string): WebhookRow {
  const row = webhookById(db).get({ id });
  if (!row || (owner !== undefined && row.tenantId !== owner)) throw new NotFound(`No webhook with id ${id}`);
  return row;
}

export function getWebhook(db: Db, id: string, owner?: string): Webhook {
  return toWebhook(findWebhookRow(db, id, owner));
}

/** `metadataJson` as for createWebhook. */
export function updateWebhook(
  db: Db,
  id: string,
  input: UpdateWebhookBody,
  policy: UrlPolicy,
  owner?: string,
  metadataJson?: string,
): Webhook {
  rejectInvalidFields(webhookFieldErrors(db, input, policy, metadataJson));
  const changes: Partial<typeof webhooks.$inferInsert> = { updatedAt: Date.now() };
  if (input.events !== undefined) changes.events = JSON.stringify(input.events);
  if (input.url !== undefined) changes.url = input.url;
  if (input.metadata !== undefined) changes.metadata = metadataJson ?? JSON.stringify(input.metadata);
  if (input.secret !== undefined) {
    // Setting a secret by hand replaces it outright; rotation is the route that keeps the old one.
    changes.secret = input.secret;
    changes.previousSecret = null;
    changes.previousSecretExpiresAt = null;
  }
  if (input.active !== undefined) {
    changes.active = input.active;
    if (input.active) {
      // Re-enabling clears the reason and restarts the auto-disable clock.
      changes.disabledReason = null;
      changes.lastSuccessAt = changes.updatedAt;
    } else {
      changes.disabledReason = "Disabled by an API request";
    }
  }
  const row = db.update(webhooks).set(changes).where(and(eq(webhooks.id, id), ownedBy(owner))).returning().get();
  if (!row) throw new NotFound(`No webhook with id ${id}`);
  return toWebhook(row);
}

export function deleteWebhook(db: Db, id: string, owner?: string): void {
  const result = db.delete(webhooks).where(and(eq(webhooks.id, id), ownedBy(owner))).run();
  if (result.changes === 0) throw new NotFound(`No webhook with id ${id}`);
}

/** Only webhooks of `owner` (every tenant's when undefined). */
function ownedBy(owner: string | undefined): SQL | undefined {
  return owner === undefined ? undefined : eq(webhooks.tenantId, owner);
}

export function getWebhookSecret(db: Db, id: string, owner?: string): { secret: string; previous_secret_expires_at: string | null } {
  const row = findWebhookRow(db, id, owner);
  const previousLive = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > Date.now();
  return { secret: row.secret, previous_secret_expires_at: previousLive ? iso(row.previousSecretExpiresAt!) : null };
}

export interface ListOptions {
  limit?: string;
  cursor?: string;
  event?: string;
  active?: boolean;
}

/** Which filters a list request uses: each combination is its own prepared query (8 at most). */
interface ListShape {
  before: boolean;
  active: boolean;
  event: boolean;
}

function prepareList(db: Db, shape: ListShape) {
  const rowId = sql<number>`${webhooks}.rowid`;
  const where: SQL[] = [eq(webhooks.tenantId, sql.placeholder("tenantId"))];
  if (shape.before) where.push(lt(rowId, sql.placeholder("before")));
  if (shape.active) where.push(eq(webhooks.active, sql.placeholder("active")));
  // One lookup in the subscriptions' primary key per webhook of the tenant.
  if (shape.event) {
    const e = webhookEventTypes;
    where.push(sql`exists (select 1 from ${e} where ${e.tenantId} = ${webhooks.tenantId} and ${e.eventType} = ${sql.placeholder("event")} and ${e.webhookId} = ${webhooks.id})`);
  }
  return db
    .select({ rowId, row: webhooks })
    .from(webhooks)
    .where(and(...where))
    .orderBy(desc(rowId))
    .limit(sql.placeholder("limit"))
    .prepare();
}

const listQuery = preparedPerShape((s: ListShape) => `${+s.before}${+s.active}${+s.event}`, prepareList);

/** What is wrong with a list's parameters: the page, and an `event` filter naming no known type. */
export function listFieldErrors(db: Db, query: { limit?: unknown; cursor?: unknown; event?: unknown }): FieldError[] {
  return [...pageFieldErrors(query), ...knownTypeFieldErrors(db, query.event, "event")];
}

/** The tenant's webhooks, newest first (by rowid, which follows insertion even within one millisecond). */
export function listWebhooks(db: Db, tenantId: string, options: ListOptions) {
  rejectInvalidFields(listFieldErrors(db, options));
  const { limit, beforeRowId } = parsePage(options);
  const query = listQuery(db, { before: beforeRowId !== undefined, active: options.active !== undefined, event: Boolean(options.event) });
  // Placeholders are bound as given: the boolean column is stored as 1 / 0.
  const active = options.active === undefined ? undefined : options.active ? 1 : 0;
  const rows = query.all({ tenantId, before: beforeRowId, active, event: options.event, limit: limit + 1 });
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map((r) => toWebhook(r.row)), pagination };
}
