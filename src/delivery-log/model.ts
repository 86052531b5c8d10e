// Shapes of the delivery log: one delivery per (event, target), with its attempts.
import { t } from "elysia";
import { PageQuery } from "../http/pagination";
import { TimeRangeQuery } from "../http/time-range";
import { TenantId } from "../tenants/model";

export const DELIVERY_STATUSES = ["pending", "leased", "delivered", "failed"] as const;
// Spelled out (not mapped) so TypeScript keeps the literal union.
const StatusUnion = (options: { description?: string; error?: string }) =>
  t.Union([t.Literal("pending"), t.Literal("leased"), t.Literal("delivered"), t.Literal("failed")], options);

const Iso = (description: string) => t.String({ description, examples: ["2024-05-20T10:00:05.123Z"] });
const NullableIso = (description: string) => t.Union([Iso(description), t.Null()]);

export const Delivery = t.Object({
  id: t.String({ examples: ["dlv_9Xc2LmQ4rT7vB1nK8pZ3aW"] }),
  event_id: t.String({ description: "Sent as `webhook-id`.", examples: ["evt_4fQ9kZ2mX7bN1pR8sT3vW5"] }),
  event_type: t.String({ examples: ["link.clicked"] }),
  webhook_id: t.Union([t.String(), t.Null()], { description: "The link webhook; null for traffic-source alerts." }),
  status: StatusUnion({
    description: "`pending` (due at `next_attempt_at`), `leased` (being attempted), `delivered`, or `failed` (retries exhausted, 410, or webhook disabled; retryable).",
  }),
  attempts: t.Integer({ description: "Attempts made so far." }),
  next_attempt_at: NullableIso("When the next attempt is due; null unless `pending`."),
  last_status_code: t.Union([t.Integer(), t.Null()]),
  last_error: t.Union([t.String(), t.Null()], {
    description: "The last attempt's error; on a `pending` delivery not attempted yet, why it waits (its endpoint let recent attempts time out).",
  }),
  created_at: Iso("When the delivery was enqueued."),
  updated_at: Iso("Last state change."),
  delivered_at: NullableIso("When a 2xx answer arrived."),
});
export type Delivery = typeof Delivery.static;

export const DeliveryAttempt = t.Object({
  attempted_at: Iso("When the request was sent."),
  duration_ms: t.Integer(),
  status_code: t.Union([t.Integer(), t.Null()], { description: "Null when no response arrived." }),
  response_body: t.Union([t.String(), t.Null()], { description: "At most 4 KiB of the response body." }),
  error: t.Union([t.String(), t.Null()], { description: "Why the attempt failed (timeout, refused address, HTTP status…)." }),
});

export const DeliveryWithAttempts = t.Object({
  ...Delivery.properties,
  attempt_log: t.Array(DeliveryAttempt, { description: "Every attempt, oldest first." }),
});
export type DeliveryWithAttempts = typeof DeliveryWithAttempts.static;

export const DeliveryListQuery = t.Object({
  ...PageQuery,
  status: t.Optional(
    StatusUnion({ error: `Must be one of ${DELIVERY_STATUSES.join(", ")}` }),
  ),
});
export type DeliveryListQuery = typeof DeliveryListQuery.static;

export const DeliveryIdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export const SINCE_ERROR = "Must be an ISO-8601 date-time, not in the future";

export const RecoverBody = t.Object(
  {
    since: t.String({
      format: "date-time",
      error: SINCE_ERROR,
      description: "Failed deliveries enqueued at or after this time are attempted again.",
      examples: ["2024-05-20T00:00:00Z"],
    }),
  },
  { error: "Must be a JSON object with since" },
);

export const Recovered = t.Object({
  recovered: t.Integer({ description: "How many failed deliveries were made due again." }),
});

const SearchFilters = {
  tenant_id: t.Optional(TenantId),
  status: t.Optional(StatusUnion({ error: `Must be one of ${DELIVERY_STATUSES.join(", ")}` })),
  webhook_id: t.Optional(t.String({ maxLength: 64, description: "Only this webhook's deliveries." })),
  event_type: t.Optional(t.String({ maxLength: 200, description: "Only deliveries of events of this type." })),
  event_id: t.Optional(t.String({ maxLength: 64, description: "Only the deliveries of this event." })),
  ...TimeRangeQuery,
};

export const DeliverySearchQuery = t.Object({ ...PageQuery, ...SearchFilters });

export const BulkRetryBody = t.Object(
  { ...SearchFilters, cursor: PageQuery.cursor },
  { error: "Must be a JSON object", description: "The search's filters; `status` defaults to `failed`." },
);

export const BulkRetried = t.Object({
  retried: t.Integer({ description: "Deliveries made due now." }),
  skipped: t.Integer({ description: "Matches left alone: being attempted right now, or their webhook is disabled." }),
  next_cursor: t.Union([t.String(), t.Null()], { description: "Send it back as `cursor` to go on with the next matches." }),
  has_more: t.Boolean(),
});
