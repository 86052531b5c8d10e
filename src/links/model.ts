// Surface A shapes, declared once for validation, types and OpenAPI.
import { t } from "elysia";
import { PageQuery } from "../http/pagination";
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from "../event-types/model";
import { TenantId } from "../tenants/model";
import { FILTER_ERROR, FILTER_OPERATORS, MAX_FILTER_BYTES, MAX_FILTER_DEPTH } from "./filter";

// Whether the type is in the catalogue (built in, or your own and not archived) is the service's
// to check (event-types/service.ts): own types live in the database.
export const EventTypeName = t.String({
  maxLength: MAX_EVENT_TYPE_LENGTH,
  pattern: EVENT_TYPE_PATTERN,
  error: "Must be an event type of the catalogue (GET /api/v1/event-types)",
  description: "An event type from the catalogue (`GET /api/v1/event-types`).",
  examples: ["link.clicked"],
});

const Url = t.String({
  maxLength: 2048,
  error: "Must be an absolute http(s) URL of at most 2048 characters",
  description: "Endpoint URL that receives webhook POST requests.",
  examples: ["https://api.acme-retail.com/webhooks/links"],
});
// Distinctness is checked by the service (checkEvents): TypeBox's uniqueItems hashes every
// string a byte at a time through BigInt arithmetic, a large share of a create's CPU
// (test/bench/RESULTS.md, session 2).
export const EVENTS_ERROR = "Must be a non-empty list of distinct event types";
const Events = t.Array(EventTypeName, {
  minItems: 1,
  maxItems: 100,
  error: EVENTS_ERROR,
  description: "Events to subscribe to, each at most once.",
  examples: [["link.clicked", "uptime.down"]],
});
const Secret = t.String({
  minLength: 8,
  maxLength: 128,
  error: "Must be a string of 8 to 128 characters",
  description:
    "Optional secret for HMAC signature verification. With `signature: \"ed25519\"`, an ed25519 private key (`whsk_` + base64 of its 32 bytes) instead; generated when absent.",
});
export const SIGNATURE_ERROR = 'Must be "hmac" or "ed25519"';
// Literals, not t.UnionEnum, which injects a default (DESIGN.md §1).
const Signature = t.Union([t.Literal("hmac"), t.Literal("ed25519")], {
  error: SIGNATURE_ERROR,
  description:
    "How deliveries are signed: `hmac` (the default, `v1,` signatures with the shared secret) or `ed25519` (`v1a,` signatures receivers verify with the public key from `GET …/secret`).",
});
// t.Record(t.String(), …) matches keys with /^(.*)$/, and "." stops at line breaks: a key such
// as "a\nb" would fail the pattern and be silently dropped by normalisation. Match any key.
const MetadataKey = t.String({ pattern: "^[\\s\\S]*$" });
export const METADATA_ERROR = "Must be a JSON object of at most 16 KiB";
const Metadata = t.Record(MetadataKey, t.Unknown(), {
  error: METADATA_ERROR,
  description: "Arbitrary metadata attached to the webhook.",
});

/** RATE_LIMIT_MAX: the most a webhook's rate_limit may allow (requests a second). */
export const RATE_LIMIT_MAX = 10_000;
// The delivery controls (README, "Per-webhook delivery controls"; docs/architecture.md). null clears one.
const Ordering = t.Union([t.Literal("fifo"), t.Null()], {
  error: 'Must be "fifo" or null',
  description:
    '`fifo`: deliveries are attempted one at a time, in publish order; a failing one holds those behind it until it succeeds or fails for good. null or absent: unordered.',
});
// t.Number with multipleOf 1, not Elysia's t.Integer: that one also takes numeric strings, and
// its default makes Elysia rebuild a body that is not an object into one.
const RateLimit = t.Union([t.Number({ minimum: 1, maximum: RATE_LIMIT_MAX, multipleOf: 1 }), t.Null()], {
  error: `Must be a whole number of requests a second from 1 to ${RATE_LIMIT_MAX}, or null`,
  description: "At most this many requests a second to this webhook, over every node; rows over it wait (they are not attempts). null or absent: no limit.",
  examples: [20],
});

// Per-webhook delivery controls (docs/architecture.md, "Per-webhook delivery controls"). Each is
// optional; null (or absent) leaves the server's configuration in charge, and PATCH with null
// removes the webhook's own value. Limits here and in service.ts (rules a schema cannot express).
export const MAX_RETRY_SCHEDULE_ENTRIES = 20;
export const MAX_RETRY_DELAY_SECONDS = 7 * 86_400;
/** All the delays of one schedule together: a delivery is finished (delivered or failed) within about this long. */
export const MAX_RETRY_SCHEDULE_TOTAL_SECONDS = 14 * 86_400;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 60_000;
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 64;
export const MAX_HEADER_VALUE_LENGTH = 1024;

// Whole numbers as t.Number({ multipleOf: 1 }): a t.Integer in a body makes Elysia coerce the
// body, and an array body would then be taken for an object (`[{…}]` → `{"0":{…}}`).
const wholeNumber = (minimum: number, maximum: number, examples?: number[]) => t.Number({ multipleOf: 1, minimum, maximum, examples });
export const RETRY_SCHEDULE_ERROR =
  `Must be null or a list of at most ${MAX_RETRY_SCHEDULE_ENTRIES} delays, each a whole number of seconds from 1 to ${MAX_RETRY_DELAY_SECONDS}`;
const RetrySchedule = t.Union(
  [
    t.Array(wholeNumber(1, MAX_RETRY_DELAY_SECONDS), {
      maxItems: MAX_RETRY_SCHEDULE_ENTRIES,
      description: "Seconds to wait after each failed attempt; `[]`: one attempt, no retries.",
      examples: [[10, 60, 600]],
    }),
    t.Null(),
  ],
  {
    error: RETRY_SCHEDULE_ERROR,
    description:
      `Delays in seconds after each failed attempt, replacing \`DELIVERY_RETRY_SCHEDULE\` for this webhook (±20 % jitter; \`Retry-After\` is clamped to it). ` +
      `At most ${MAX_RETRY_SCHEDULE_ENTRIES} delays of 1 to ${MAX_RETRY_DELAY_SECONDS} s (7 days), ${MAX_RETRY_SCHEDULE_TOTAL_SECONDS} s (14 days) in all; ` +
      "n delays make n + 1 attempts. null: the server's schedule.",
  },
);
export const TIMEOUT_ERROR = `Must be null or a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}`;
const TimeoutMs = t.Union([wholeNumber(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, [5000]), t.Null()], {
  error: TIMEOUT_ERROR,
  description: `How long one attempt may take, in ms (${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}), replacing \`DELIVERY_TIMEOUT_MS\` for this webhook. null: the server's timeout.`,
});
export const HEADERS_ERROR =
  `Must be null or an object of at most ${MAX_HEADERS} headers, each name mapped to a string of at most ${MAX_HEADER_VALUE_LENGTH} characters`;
// Any key, as for metadata: which names are allowed is the service's to say, naming each one.
const Headers = t.Union(
  [
    t.Record(MetadataKey, t.String({ maxLength: MAX_HEADER_VALUE_LENGTH }), {
      examples: [{ Authorization: "Bearer 3f9a…", "X-Tenant": "acme" }],
    }),
    t.Null(),
  ],
  {
    error: HEADERS_ERROR,
    description:
      `Extra request headers sent with every delivery to this webhook, name → value (at most ${MAX_HEADERS}; names of up to ` +
      `${MAX_HEADER_NAME_LENGTH} token characters, values of up to ${MAX_HEADER_VALUE_LENGTH} printable ASCII characters). ` +
      "They cannot replace what hookrelay sets: host, content-length, content-type, user-agent, webhook-* and hop-by-hop headers are refused. " +
      "Shown on reads (only to callers who may read the webhook's secret too) and never logged. null or {}: none.",
  },
);
const deliveryControls = {
  retry_schedule: t.Optional(RetrySchedule),
  timeout_ms: t.Optional(TimeoutMs),
  headers: t.Optional(Headers),
};

// The operators and their operands are the service's to check (links/filter.ts), so one answer
// names every bad operator by its path.
const FILTER_DESCRIPTION =
  "Only events whose `data` matches this condition are delivered to the webhook; `null` (or absent) delivers every event of its types. " +
  "MongoDB-style: `{\"field\": value}` is equality (dotted paths reach inside objects; an array field matches when one element does), " +
  `and the accepted operators are ${FILTER_OPERATORS.map((op) => `\`${op}\``).join(", ")} ` +
  "(`$in`/`$nin` take an array, `$gt`/`$gte`/`$lt`/`$lte` a number or string, `$exists` a boolean; `$and`/`$or`/`$nor` an array of conditions; `$not` a condition or a field's operators). " +
  `At most ${MAX_FILTER_BYTES} bytes and ${MAX_FILTER_DEPTH} levels of nesting. Not applied to the test event, retries or recovers.`;
const Filter = t.Union([t.Record(MetadataKey, t.Unknown()), t.Null()], {
  error: FILTER_ERROR,
  description: FILTER_DESCRIPTION,
  examples: [{ "link.domain": "go.acme.com", clicks: { $gte: 100 } }],
});

export const CreateWebhookBody = t.Object(
  {
    url: Url,
    events: Events,
    secret: t.Optional(Secret),
    metadata: t.Optional(Metadata),
    filter: t.Optional(Filter),
    tenant_id: t.Optional(TenantId),
    signature: t.Optional(Signature),
    ...deliveryControls,
    ordering: t.Optional(Ordering),
    rate_limit: t.Optional(RateLimit),
  },
  { error: "Must be a JSON object" },
);
export type CreateWebhookBody = typeof CreateWebhookBody.static;

export const UpdateWebhookBody = t.Object(
  {
    url: t.Optional(Url),
    events: t.Optional(Events),
    secret: t.Optional(Secret),
    metadata: t.Optional(Metadata),
    active: t.Optional(t.Boolean({ error: "Must be true or false" })),
    signature: t.Optional(Signature),
    filter: t.Optional(Filter),
    ...deliveryControls,
    ordering: t.Optional(Ordering),
    rate_limit: t.Optional(RateLimit),
  },
  { minProperties: 1, error: "Must be a JSON object with at least one of url, events, secret, metadata, active, signature, filter, retry_schedule, timeout_ms, headers, ordering, rate_limit" },
);
export type UpdateWebhookBody = typeof UpdateWebhookBody.static;

const documentedFields = {
  id: t.String({ examples: ["whk_7kH3nPqR"] }),
  url: t.String({ examples: ["https://api.acme-retail.com/webhooks/links"] }),
  events: t.Array(t.String(), { examples: [["link.clicked", "uptime.down"]] }),
  active: t.Boolean(),
  metadata: t.Record(MetadataKey, t.Unknown()),
  created_at: t.String({ examples: ["2024-05-20T10:00:00.000Z"] }),
};

/** Exactly the documented create response: these six fields, in this order. */
export const CreatedWebhook = t.Object(documentedFields);
export type CreatedWebhook = typeof CreatedWebhook.static;

/** Reads add what changed since creation after the documented fields. */
export const Webhook = t.Object({
  ...documentedFields,
  updated_at: t.String(),
  disabled_reason: t.Union([t.String(), t.Null()], { description: "Why the webhook was disabled, if it was." }),
  tenant_id: t.String({ description: "The tenant the webhook belongs to.", examples: ["default"] }),
  signature: t.Union([t.Literal("hmac"), t.Literal("ed25519")], { description: "How deliveries are signed (`v1,` HMAC or `v1a,` ed25519)." }),
  filter: t.Union([t.Record(MetadataKey, t.Unknown()), t.Null()], {
    description: "The condition on an event's `data` that the webhook's deliveries need; null: every event.",
    examples: [{ clicks: { $gte: 100 } }],
  }),
  retry_schedule: t.Union([t.Array(t.Integer()), t.Null()], {
    description: "Its own retry delays in seconds; null: the server's `DELIVERY_RETRY_SCHEDULE`.",
    examples: [[10, 60, 600]],
  }),
  timeout_ms: t.Union([t.Integer(), t.Null()], { description: "Its own per-attempt timeout in ms; null: the server's `DELIVERY_TIMEOUT_MS`.", examples: [5000] }),
  headers: t.Union([t.Record(MetadataKey, t.String()), t.Null()], {
    description: "Extra request headers sent with every delivery, values as stored; null: none.",
    examples: [{ "X-Tenant": "acme" }],
  }),
  ordering: t.Union([t.Literal("fifo"), t.Null()], { description: Ordering.description }),
  rate_limit: t.Union([t.Number({ multipleOf: 1 }), t.Null()], { description: RateLimit.description }),
});
export type Webhook = typeof Webhook.static;

export const SecretRotation = t.Object({
  id: t.String(),
  rotated_at: t.String(),
  previous_secret_expires_at: t.String({ description: "Until then deliveries are signed with the old secret too." }),
});

export const WebhookSecret = t.Object({
  secret: t.String({ examples: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], description: "The signing secret: HMAC (`whsec_…` or your own), or for ed25519 the private key (`whsk_…`)." }),
  previous_secret_expires_at: t.Union([t.String(), t.Null()]),
  signature: t.Union([t.Literal("hmac"), t.Literal("ed25519")]),
  public_key: t.Union([t.String(), t.Null()], {
    description: "For ed25519 webhooks, the public key (`whpk_` + base64 of 32 bytes) receivers verify `v1a,` signatures with; it cannot sign and may be shared. Null for HMAC.",
    examples: ["whpk_9bNk0dNeDAWwdtz+8d7D9DrmLSuAkiaHhX6HIubQnPo="],
  }),
  previous_public_key: t.Union([t.String(), t.Null()], {
    description: "While a rotated-out ed25519 key still signs (until `previous_secret_expires_at`), its public key. Null otherwise.",
  }),
});
export type WebhookSecret = typeof WebhookSecret.static;

export const ListQuery = t.Object({
  ...PageQuery,
  tenant_id: t.Optional(TenantId),
  event: t.Optional(EventTypeName),
  active: t.Optional(t.Boolean({ error: "Must be true or false" })),
});

export const WebhookIdParams = t.Object({ id: t.String({ maxLength: 64 }) });
