// Surface A shapes, declared once for validation, types and OpenAPI.
import { t } from "elysia";
import { PageQuery } from "../http/pagination";
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from "../event-types/model";
import { TenantId } from "../tenants/model";

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
  description: "Optional secret for HMAC signature verification.",
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
// The delivery controls (README, Delivery controls; docs/architecture.md). null clears one.
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

export const CreateWebhookBody = t.Object(
  {
    url: Url,
    events: Events,
    secret: t.Optional(Secret),
    metadata: t.Optional(Metadata),
    tenant_id: t.Optional(TenantId),
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
    ordering: t.Optional(Ordering),
    rate_limit: t.Optional(RateLimit),
  },
  { minProperties: 1, error: "Must be a JSON object with at least one of url, events, secret, metadata, active, ordering, rate_limit" },
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
  secret: t.String({ examples: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] }),
  previous_secret_expires_at: t.Union([t.String(), t.Null()]),
});

export const ListQuery = t.Object({
  ...PageQuery,
  tenant_id: t.Optional(TenantId),
  event: t.Optional(EventTypeName),
  active: t.Optional(t.Boolean({ error: "Must be true or false" })),
});

export const WebhookIdParams = t.Object({ id: t.String({ maxLength: 64 }) });
