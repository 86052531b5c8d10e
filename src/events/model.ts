// Shapes of the events API (publish, catalogue), declared once for validation, types and OpenAPI.
import { t } from "elysia";
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from "../event-types/model";
import { TenantId } from "../tenants/model";
import { PageQuery } from "../http/pagination";
import { TimeRangeQuery } from "../http/time-range";
import { Delivery } from "../delivery-log/model";

// Known to the catalogue, and `data` valid for it: checked by the service (event-types/service.ts).
export const PublishableEventType = t.String({
  maxLength: MAX_EVENT_TYPE_LENGTH,
  pattern: EVENT_TYPE_PATTERN,
  error: "Must be an event type of the catalogue (GET /api/v1/event-types)",
  description: "An event type from the catalogue (`GET /api/v1/event-types`).",
  examples: ["link.clicked"],
});

export const ClientEventId = t.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9_.:-]+$",
  error: "Must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'",
  description:
    "Optional event id chosen by the publisher. It becomes the `webhook-id` receivers see; publishing the same id again returns the original event instead of a new one.",
  examples: ["evt_order_1234"],
});

export const PublishEventBody = t.Object(
  {
    type: PublishableEventType,
    // Checked as an object by the service: with t.Record Elysia turns a JSON array into
    // {"0":…}, and with t.Object it fills a missing `data` with {}.
    data: t.Unknown({
      error: "Must be a JSON object",
      description: "The event payload, delivered unchanged as `data`.",
      examples: [{ link_id: "lnk_42", short_url: "https://sho.rt/abc", clicked_at: "2024-05-20T10:00:00.000Z" }],
    }),
    id: t.Optional(ClientEventId),
    tenant_id: t.Optional(TenantId),
  },
  { error: "Must be a JSON object with type and data" },
);
export type PublishEventBody = typeof PublishEventBody.static;

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** OpenAPI description of the Idempotency-Key header (checked by the service: a header schema would hide the auth headers). */
export const IdempotencyKeyParameter = {
  name: "Idempotency-Key",
  in: "header" as const,
  required: false,
  schema: { type: "string" as const, minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
  description: "Replaying a request with the same key returns the event it created, and enqueues nothing.",
};

export const PublishedEvent = t.Object({
  id: t.String({ examples: ["evt_4fQ9kZ2mX7bN1pR8sT3vW5"], description: "The event id, sent as `webhook-id`." }),
  type: t.String({ examples: ["link.clicked"] }),
  created_at: t.String({ examples: ["2024-05-20T10:00:00.000Z"] }),
  deliveries: t.Integer({
    description: "How many deliveries were enqueued: one per active webhook subscribed to `type`.",
    examples: [2],
  }),
});
export type PublishedEvent = typeof PublishedEvent.static;

export const EventSummary = t.Object({
  id: t.String({ description: "The event id (`webhook-id`): the publisher's own, or the generated one.", examples: ["evt_4fQ9kZ2mX7bN1pR8sT3vW5"] }),
  type: t.String({ examples: ["link.clicked"] }),
  created_at: t.String({ examples: ["2024-05-20T10:00:00.000Z"] }),
  tenant_id: t.String({ examples: ["default"] }),
});

export const EventListQuery = t.Object({
  ...PageQuery,
  tenant_id: t.Optional(TenantId),
  type: t.Optional(t.String({ maxLength: 200, description: "Only events of this type." })),
  ...TimeRangeQuery,
});

export const EventIdParams = t.Object({ id: t.String({ maxLength: 64 }) });
export const EventReadQuery = t.Object({ tenant_id: t.Optional(TenantId) });

export const EventDetail = t.Object({
  ...EventSummary.properties,
  payload: t.Unknown({ description: 'Exactly what every receiver got: `{"id","type","created_at","data"}`, byte for byte.' }),
  deliveries: t.Array(Delivery, { description: "The event's first 100 deliveries, oldest first; search deliveries by `event_id` for the rest." }),
  deliveries_total: t.Integer(),
});
