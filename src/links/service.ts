// Link webhooks over the store (db/aggregates/webhooks.ts): plain functions, no HTTP. Validation
// that a schema cannot express (URL rules, SSRF literals, metadata size) happens here, before
// anything is written.
import type { WebhookChanges, WebhookRecord } from "../db/aggregates/webhooks";
import type { Store } from "../db/store";
import { refuseLiteralHost } from "../delivery/ssrf";
import {
  ED25519_SECRET_PREFIX, ed25519PublicKey, ed25519SecretProblem, generateEd25519Secret, signatureKindOf, WHSEC_PREFIX, type SignatureKind,
} from "../delivery/sign";
import { BadRequest, NotFound, rejectInvalidFields, type FieldError } from "../http/errors";
import { pageFieldErrors, parsePage, toPagination } from "../http/pagination";
import { iso, newSortableId, pooledRandomBytes } from "../ids";
import { parseJsonExact } from "../http/json-text";
import { knownTypeFieldErrors, subscriptionFieldErrors } from "../event-types/service";
import { NO_SUCH_TENANT } from "../tenants/scope";
import { filterFieldErrors } from "./filter";
import { EVENTS_ERROR, METADATA_ERROR, type CreateWebhookBody, type UpdateWebhookBody, type Webhook, type WebhookSecret } from "./model";
import { deliveryControlErrors, storedHeaders } from "./delivery-controls";

export const MAX_METADATA_BYTES = 16 * 1024;

export interface UrlPolicy {
  allowPrivate: boolean;
}

/** A fresh secret of the kind: `whsec_` HMAC key bytes, or a `whsk_` ed25519 private key. */
export function generateSecret(kind: SignatureKind = "hmac"): string {
  return kind === "ed25519" ? generateEd25519Secret() : WHSEC_PREFIX + pooledRandomBytes(32).toString("base64");
}

/** How long the old secret keeps signing beside the new one after a rotation or a switch of signature kind. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

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
  if (secret.startsWith(ED25519_SECRET_PREFIX)) return ed25519SecretProblem(secret);
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
  signature?: unknown;
  filter?: unknown;
  retry_schedule?: unknown;
  timeout_ms?: unknown;
  headers?: unknown;
}

/** Why `secret` cannot sign as `kind`, or undefined. */
function secretKindProblem(secret: string, kind: SignatureKind): string | undefined {
  if (signatureKindOf(secret) === kind) return undefined;
  return kind === "ed25519"
    ? "With signature ed25519 the secret must be an ed25519 private key (whsk_ + base64 of 32 bytes); leave it out to have one generated"
    : "A whsk_ secret is an ed25519 private key: set signature to ed25519 to sign with it";
}

/**
 * Every rule of a webhook body that its schema cannot express, checked together so one answer
 * lists them all. A field of the wrong type is left to the schema, which reports it.
 * `metadataJson` is the metadata's text as sent (its size is what is stored).
 */
export async function webhookFieldErrors(
  store: Store,
  input: WebhookFields,
  policy: UrlPolicy,
  metadataJson?: string,
  /** The kind a secret must be when the body names none: `hmac` on create; unknown here on update (the stored one). */
  signatureWhenAbsent?: SignatureKind,
): Promise<FieldError[]> {
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
    const kind = input.signature === "hmac" || input.signature === "ed25519" ? input.signature : signatureWhenAbsent;
    const problem = secretProblem(input.secret) ?? (kind && secretKindProblem(input.secret, kind));
    if (problem) problems.push({ field: "secret", message: problem });
  }
  if (input.metadata !== undefined && metadataProblem(input.metadata, metadataJson)) {
    problems.push({ field: "metadata", message: METADATA_ERROR });
  }
  if (input.filter !== undefined) problems.push(...filterFieldErrors(input.filter));
  problems.push(...deliveryControlErrors(input));
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
    signature: signatureKindOf(webhook.secret),
    filter: webhook.filterJson === null ? null : (JSON.parse(webhook.filterJson) as Record<string, unknown>),
    retry_schedule: webhook.retrySchedule,
    timeout_ms: webhook.timeoutMs,
    headers: webhook.headers,
    ordering: webhook.ordering,
    rate_limit: webhook.rateLimit,
  };
}

/**
 * `metadataJson`, when given, is the metadata's text as sent: it is stored as it is, so numbers
 * a double cannot hold digit for digit (1234567890123456789, 1e-400) come back unchanged.
 */
export async function createWebhook(store: Store, tenantId: string, input: CreateWebhookBody, policy: UrlPolicy, metadataJson?: string): Promise<Webhook> {
  rejectInvalidFields(await webhookFieldErrors(store, input, policy, metadataJson, "hmac"));
  const { url } = input;
  const metadata = input.metadata === undefined ? "{}" : (metadataJson ?? JSON.stringify(input.metadata));
  const secret = input.secret ?? generateSecret(input.signature);
  const now = Date.now();
  // Time-ordered (like event and delivery ids, and Svix's KSUIDs): new rows land at the end
  // of the primary-key index instead of on a random page of it, which a commit then rewrites.
  const id = newSortableId("whk", now);
  const filterJson = filterJsonOf(input.filter);
  const controls = {
    retrySchedule: input.retry_schedule ?? null, timeoutMs: input.timeout_ms ?? null, headers: storedHeaders(input.headers) ?? null,
    ordering: input.ordering ?? null, rateLimit: input.rate_limit ?? null,
  };
  const created = await store.webhooks.create({ id, tenantId, url, events: input.events, metadataJson: metadata, secret, filterJson, createdAt: now, ...controls });
  // Deleted since the request's tenant was checked.
  if (!created) throw new BadRequest([{ field: "tenant_id", message: NO_SUCH_TENANT }]);
  // Everything the answer holds is known here: no row to map back.
  const at = iso(now);
  const shownMetadata = metadataJson === undefined ? (input.metadata ?? {}) : (parseJsonExact(metadataJson) as Record<string, unknown>);
  return {
    id, url, events: input.events, active: true, metadata: shownMetadata,
    created_at: at, updated_at: at, disabled_reason: null, tenant_id: tenantId, signature: signatureKindOf(secret), filter: filterJson === null ? null : (input.filter ?? null),
    retry_schedule: controls.retrySchedule, timeout_ms: controls.timeoutMs, headers: controls.headers,
    ordering: controls.ordering, rate_limit: controls.rateLimit,
  };
}

/** The filter as stored: its JSON text, or null for none. */
function filterJsonOf(filter: Record<string, unknown> | null | undefined): string | null {
  return filter == null ? null : JSON.stringify(filter);
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

/**
 * `metadataJson` as for createWebhook. A `signature` other than the webhook's generates a key of
 * that kind, and the old key keeps signing beside it for SECRET_OVERLAP_MS, as after a rotation,
 * so receivers can switch over without dropping a delivery; a `secret` given with it (or alone)
 * replaces the key at once, as a PATCH of `secret` always has.
 */
export async function updateWebhook(
  store: Store,
  id: string,
  input: UpdateWebhookBody,
  policy: UrlPolicy,
  owner?: string,
  metadataJson?: string,
): Promise<Webhook> {
  rejectInvalidFields(await webhookFieldErrors(store, input, policy, metadataJson));
  const now = Date.now();
  const changes: WebhookChanges = {
    url: input.url, events: input.events, secret: input.secret, active: input.active,
    retrySchedule: input.retry_schedule, timeoutMs: input.timeout_ms, headers: storedHeaders(input.headers),
    ordering: input.ordering, rateLimit: input.rate_limit,
  };
  if (input.metadata !== undefined) changes.metadataJson = metadataJson ?? JSON.stringify(input.metadata);
  if (input.active === false) changes.disabledReason = "Disabled by an API request";
  if (input.filter !== undefined) changes.filterJson = filterJsonOf(input.filter);
  if (input.secret === undefined ? input.signature !== undefined : input.signature === undefined) {
    // Which kind the webhook signs with now decides: read it (another tenant's answers 404 here).
    const current = signatureKindOf((await findWebhook(store, id, owner)).secret);
    if (input.secret !== undefined) {
      const problem = secretKindProblem(input.secret, current);
      if (problem) throw new BadRequest([{ field: "secret", message: problem }]);
    } else if (input.signature !== current) {
      changes.secret = generateSecret(input.signature);
      changes.keepPreviousUntil = now + SECRET_OVERLAP_MS;
    }
  }
  const webhook = await store.webhooks.update(id, owner ?? null, changes, now);
  if (!webhook) throw notFound(id);
  return toWebhook(webhook);
}

export async function deleteWebhook(store: Store, id: string, owner?: string): Promise<void> {
  if (!(await store.webhooks.delete(id, owner ?? null))) throw notFound(id);
}

export async function getWebhookSecret(store: Store, id: string, owner?: string): Promise<WebhookSecret> {
  const webhook = await findWebhook(store, id, owner);
  const expiresAt = webhook.previousSecretExpiresAt;
  const previous = webhook.previousSecret !== null && expiresAt !== null && expiresAt > Date.now() ? webhook.previousSecret : null;
  const signature = signatureKindOf(webhook.secret);
  return {
    secret: webhook.secret,
    previous_secret_expires_at: previous === null ? null : iso(expiresAt!),
    signature,
    public_key: signature === "ed25519" ? ed25519PublicKey(webhook.secret) : null,
    previous_public_key: previous !== null && signatureKindOf(previous) === "ed25519" ? ed25519PublicKey(previous) : null,
  };
}

export interface ListOptions {
  limit?: string;
  cursor?: string;
  event?: string;
  active?: boolean;
}

/** What is wrong with a list's parameters: the page, and an `event` filter naming no known type. */
export async function listFieldErrors(store: Store, query: { limit?: unknown; cursor?: unknown; event?: unknown }): Promise<FieldError[]> {
  return [...pageFieldErrors(query, store.cursors), ...(await knownTypeFieldErrors(store.eventTypes, query.event, "event"))];
}

/** The tenant's webhooks, newest first. */
export async function listWebhooks(store: Store, tenantId: string, options: ListOptions) {
  rejectInvalidFields(await listFieldErrors(store, options));
  const { limit } = parsePage(options, store.cursors);
  const filter = { active: options.active, event: options.event || undefined };
  const { rows, nextCursor } = await store.webhooks.list(tenantId, filter, { limit, cursor: options.cursor });
  return { data: rows.map(toWebhook), pagination: toPagination(nextCursor) };
}

