// What hookrelay sends to a subscribed endpoint, for the `webhooks` section of the OpenAPI
// document (docs/architecture.md follows one event there): the payload envelope and the
// Standard Webhooks headers of src/delivery/transports/http.ts, and the operational events
// hookrelay publishes itself (events/operational.ts).
import { t } from "elysia";
import { EVENT_TYPES, TEST_EVENT_TYPE } from "../events/catalogue";
import { USER_AGENT } from "../version";

export const WebhookPayload = t.Object(
  {
    id: t.String({ description: "The event id; the same as the `webhook-id` header and on every retry.", examples: ["evt_4fQ9kZ2mX7bN1pR8sT3vW5"] }),
    type: t.String({
      description: `The event type: one of ${EVENT_TYPES.join(", ")}, or ${TEST_EVENT_TYPE} from the test route.`,
      examples: ["link.clicked"],
    }),
    created_at: t.String({ format: "date-time", description: "When the event was published (ISO-8601, milliseconds, Z).", examples: ["2024-05-20T10:00:00.000Z"] }),
    data: t.Unknown({
      description: "The payload exactly as it was published.",
      examples: [{ link_id: "lnk_42", short_url: "https://sho.rt/abc", clicked_at: "2024-05-20T10:00:00.000Z" }],
    }),
  },
  { description: "The body of every delivery: exactly these four fields, byte for byte as stored when the event was published." },
);

const envelopeOf = (type: string, data: ReturnType<typeof t.Object>, description: string) =>
  t.Object(
    {
      id: t.String({ examples: ["evt_4fQ9kZ2mX7bN1pR8sT3vW5"] }),
      type: t.Literal(type),
      created_at: t.String({ format: "date-time" }),
      data,
    },
    { description },
  );
const nullableCode = t.Union([t.Integer(), t.Null()], { description: "The HTTP status of the last attempt; null when none arrived." });
const nullableError = t.Union([t.String(), t.Null()], { description: "The last attempt's error in words (`HTTP 500`, a timeout, a refused address)." });

export const WebhookDisabledEvent = envelopeOf(
  "webhook.disabled",
  t.Object({
    webhook_id: t.String({ examples: ["whk_7kH3nPqR"] }),
    url: t.String({ examples: ["https://api.acme-retail.com/webhooks/links"] }),
    reason: t.Union([t.Literal("endpoint_gone"), t.Literal("no_success")], {
      description: "`endpoint_gone`: it answered 410 Gone; `no_success`: no successful delivery for `DELIVERY_DISABLE_AFTER_HOURS` when a delivery ran out of retries.",
    }),
    disabled_reason: t.String({ description: "The webhook's `disabled_reason`.", examples: ["The endpoint answered 410 Gone"] }),
    delivery_id: t.String({ description: "The delivery whose outcome disabled it." }),
    last_status_code: nullableCode,
    last_error: nullableError,
    disabled_at: t.String({ format: "date-time" }),
    tenant_id: t.String({ description: "The tenant of the webhook (and of this event).", examples: ["default"] }),
  }),
  "Published by hookrelay into the webhook's tenant when it disables a webhook automatically (never for `PATCH active: false`). Enable it again with `PATCH active: true`, then `POST …/recover`.",
);

export const DeliveryExhaustedEvent = envelopeOf(
  "delivery.exhausted",
  t.Object({
    delivery_id: t.String({ examples: ["dlv_9Xc2LmQ4rT7vB1nK8pZ3aW"] }),
    event_id: t.String({ description: "The failed event's id (its `webhook-id`)." }),
    event_type: t.String({ examples: ["link.clicked"] }),
    webhook_id: t.String(),
    url: t.String(),
    reason: t.Union([t.Literal("retries_exhausted"), t.Literal("endpoint_gone")], { description: "The retry schedule ran out, or the endpoint answered 410 Gone." }),
    attempts: t.Integer(),
    last_status_code: nullableCode,
    last_error: nullableError,
    failed_at: t.String({ format: "date-time" }),
    tenant_id: t.String({ description: "The tenant of the webhook (and of this event).", examples: ["default"] }),
  }),
  "Published by hookrelay into the webhook's tenant when a delivery fails for good; retry it with `POST /api/v1/deliveries/{id}/retry`. Never published for a delivery of an operational event itself, so an unreachable subscriber cannot feed itself a chain of them.",
);

const header = (name: string, description: string, example: string) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
  example,
});

const standardHeaders = [
  header("webhook-id", "The event id: the same on every retry of this event, to dedupe by.", "evt_4fQ9kZ2mX7bN1pR8sT3vW5"),
  header("webhook-timestamp", "Unix seconds when this attempt was signed; reject stale ones (Standard Webhooks libraries allow 5 minutes).", "1716199200"),
  header(
    "webhook-signature",
    "`v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the secret's key bytes (base64 after `whsec_`, else its UTF-8 bytes); for a webhook with `signature: ed25519`, `v1a,` + base64 of the ed25519 signature of the same content, verified with the `public_key` of `GET …/secret`. During a secret rotation (or a switch of signature kind) there is one entry per active secret, space-separated; any one matching is enough.",
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  ),
  header("user-agent", "hookrelay and its version.", USER_AGENT),
];

/** An operational event, sent like any other to the tenant's webhooks subscribed to its type. */
const operational = (operationId: string, summary: string, payloadRef: object) => ({
  post: {
    operationId,
    summary,
    description: "Sent, signed and retried like every event, to the tenant's active webhooks subscribed to this type.",
    tags: ["Outgoing webhooks"],
    security: [],
    parameters: standardHeaders,
    requestBody: { required: true, content: { "application/json": { schema: payloadRef } } },
    responses: { "2XX": { description: "Acknowledged." } },
  },
});

/** The `webhooks` section: one POST per event and subscribed webhook, retried until a 2xx. */
export function outgoingWebhooks(payloadRef: object, operationalRefs: { disabled: object; exhausted: object }) {
  return {
    "webhook.disabled": operational("receiveWebhookDisabled", "A webhook of the tenant was disabled automatically", operationalRefs.disabled),
    "delivery.exhausted": operational("receiveDeliveryExhausted", "A delivery to a webhook of the tenant failed for good", operationalRefs.exhausted),
    event: {
      post: {
        operationId: "receiveEvent",
        summary: "An event delivered to your endpoint",
        description:
          "hookrelay POSTs every event to each active webhook subscribed to its type. Verify the signature with any " +
          "Standard Webhooks library and the webhook's secret (`GET /api/v1/links/webhooks/{id}/secret`) before trusting " +
          "the body. Any 2xx acknowledges the delivery; anything else (redirects included) is retried on the retry " +
          "schedule, and every attempt is logged. Receivers should dedupe by `webhook-id`: delivery is at least once.",
        tags: ["Outgoing webhooks"],
        security: [],
        parameters: standardHeaders,
        requestBody: {
          required: true,
          description: "The event envelope, `content-type: application/json`.",
          content: { "application/json": { schema: payloadRef } },
        },
        responses: {
          "2XX": { description: "Acknowledged: the delivery is `delivered` and not sent again." },
          "410": { description: "Gone: the delivery fails and the webhook is disabled (`active: false`, `disabled_reason`)." },
          "429": {
            description: "Retried later; `Retry-After` (seconds or an HTTP date) is honoured, clamped to between the scheduled delay and twice it. The same for 502, 503 and 504.",
            headers: { "Retry-After": { description: "When to try again.", schema: { type: "string" }, example: "120" } },
          },
          default: { description: "Any other answer, a timeout or a refused connection: retried on the schedule until the attempts run out, then `failed`." },
        },
      },
    },
  };
}
