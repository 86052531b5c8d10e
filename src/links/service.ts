// Link webhooks over the store (db/aggregates/webhooks.ts): plain functions, no HTTP. Validation
// that a schema cannot express (URL rules, SSRF literals, metadata size) happens here, before
// anything is written.
import type { WebhookChanges, WebhookRecord } from "../db/aggregates/webhooks";
import type { Store } from "../db/store";
import { refuseLiteralHost } from "../delivery/ssrf";
import { WHSEC_PREFIX } from "../delivery/sign";
import { BadRequest, NotFound, rejectInvalidFields, type FieldError } from "../http/errors";
import { pageFieldErrors, parsePage, toPagination } from "../http/pagination";
import { iso, newSortableId, pooledRandomBytes } from "../ids";
import { parseJsonExact } from "../http/json-text";
import { knownTypeFieldErrors, subscriptionFieldErrors } from "../event-types/service";
import { NO_SUCH_TENANT } from "../tenants/scope";
import { EVENTS_ERROR, METADATA_ERROR, type CreateWebhookBody, type UpdateWebhookBody, type Webhook } from "./model";

export const MAX_METADATA_BYTES = 16 * 1024;

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
export async function webhookFieldErrors(store: Store, input: WebhookFields, policy: UrlPolicy, metadataJson?: string): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  if (typeof input.url === "string") {
    const problem = webhookUrlProblem(input.url, policy);
    if (problem) problems.push({ field: "url", message: problem });
  }
  if (Array.isArray(input.events) && new Set(input.events).size !== input.events.length) {
    problems.push({ field: "events", message: EVENTS_ERROR });
  }
  problems.push(...(await subscriptionFieldErrors(store.eventTypes, input.events)));
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

export function toWebhook(webhook: WebhookRecord): Webhook {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events as Webhook["events"],
    active: webhook.active,
    metadata: parseJsonExact(webhook.metadataJson) as Record<string, unknown>,
    created_at: iso(webhook.createdAt),
    updated_at: iso(webhook.updatedAt),
    disabled_reason: webhook.disabledReason,
    tenant_id: webhook.tenantId,
    ordering: webhook.ordering,
    rate_limit: webhook.rateLimit,
  };
}

/**
 * `metadataJson`, when given, is the metadata's text as sent: it is stored as it is, so numbers
 * a double cannot hold digit for digit (1234567890123456789, 1e-400) come back unchanged.
 */
export async function createWebhook(store: Store, tenantId: string, input: CreateWebhookBody, policy: UrlPolicy, metadataJson?: string): Promise<Webhook> {
  rejectInvalidFields(await webhookFieldErrors(store, input, policy, metadataJson));
  const { url } = input;
  const metadata = input.metadata === undefined ? "{}" : (metadataJson ?? JSON.stringify(input.metadata));
  const secret = input.secret ?? generateSecret();
  const now = Date.now();
  // Time-ordered (like event and delivery ids, and Svix's KSUIDs): new rows land at the end
  // of the primary-key index instead of on a random page of it, which a commit then rewrites.
  const id = newSortableId("whk", now);
  const ordering = input.ordering ?? null;
  const rateLimit = input.rate_limit ?? null;
  const created = await store.webhooks.create({ id, tenantId, url, events: input.events, metadataJson: metadata, secret, createdAt: now, ordering, rateLimit });
  // Deleted since the request's tenant was checked.
  if (!created) throw new BadRequest([{ field: "tenant_id", message: NO_SUCH_TENANT }]);
  // Everything the answer holds is known here: no row to map back.
  const at = iso(now);
  const shownMetadata = metadataJson === undefined ? (input.metadata ?? {}) : (parseJsonExact(metadataJson) as Record<string, unknown>);
  return {
    id, url, events: input.events, active: true, metadata: shownMetadata,
    created_at: at, updated_at: at, disabled_reason: null, tenant_id: tenantId, ordering, rate_limit: rateLimit,
  };
}

const notFound = (id: string) => new NotFound(`No webhook with id ${id}`);

/**
 * The webhook with this id, if it belongs to `owner` (any tenant when undefined): another
 * tenant's webhook is answered exactly like one that does not exist.
 */
export async function findWebhook(store: Store, id: string, owner?: string): Promise<WebhookRecord> {
  const webhook = await store.webhooks.get(id, owner ?? null);
  if (!webhook) throw notFound(id);
  return webhook;
}

export async function getWebhook(store: Store, id: string, owner?: string): Promise<Webhook> {
  return toWebhook(await findWebhook(store, id, owner));
}

/** `metadataJson` as for createWebhook. */
export async function updateWebhook(
  store: Store,
  id: string,
  input: UpdateWebhookBody,
  policy: UrlPolicy,
  owner?: string,
  metadataJson?: string,
): Promise<Webhook> {
  rejectInvalidFields(await webhookFieldErrors(store, input, policy, metadataJson));
  const changes: WebhookChanges = {
    url: input.url, events: input.events, secret: input.secret, active: input.active, ordering: input.ordering, rateLimit: input.rate_limit,
  };
  if (input.metadata !== undefined) changes.metadataJson = metadataJson ?? JSON.stringify(input.metadata);
  if (input.active === false) changes.disabledReason = "Disabled by an API request";
  const webhook = await store.webhooks.update(id, owner ?? null, changes, Date.now());
  if (!webhook) throw notFound(id);
  return toWebhook(webhook);
}

export async function deleteWebhook(store: Store, id: string, owner?: string): Promise<void> {
  if (!(await store.webhooks.delete(id, owner ?? null))) throw notFound(id);
}

export async function getWebhookSecret(store: Store, id: string, owner?: string): Promise<{ secret: string; previous_secret_expires_at: string | null }> {
  const webhook = await findWebhook(store, id, owner);
  const expiresAt = webhook.previousSecretExpiresAt;
  return { secret: webhook.secret, previous_secret_expires_at: expiresAt !== null && expiresAt > Date.now() ? iso(expiresAt) : null };
}

export interface ListOptions {
  limit?: string;
  cursor?: string;
  event?: string;
  active?: boolean;
}

/** What is wrong with a list's parameters: the page, and an `event` filter naming no known type. */
export async function listFieldErrors(store: Store, query: { limit?: unknown; cursor?: unknown; event?: unknown }): Promise<FieldError[]> {
  return [...pageFieldErrors(query), ...(await knownTypeFieldErrors(store.eventTypes, query.event, "event"))];
}

/** The tenant's webhooks, newest first. */
export async function listWebhooks(store: Store, tenantId: string, options: ListOptions) {
  rejectInvalidFields(await listFieldErrors(store, options));
  const { limit } = parsePage(options);
  const filter = { active: options.active, event: options.event || undefined };
  const { rows, nextCursor } = await store.webhooks.list(tenantId, filter, { limit, cursor: options.cursor });
  return { data: rows.map(toWebhook), pagination: toPagination(nextCursor) };
}

