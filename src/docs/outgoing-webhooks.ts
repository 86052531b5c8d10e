// What hookrelay sends to a subscribed endpoint, for the `webhooks` section of the OpenAPI
// document (docs/architecture.md follows one event there): the payload envelope and the
// Standard Webhooks headers of src/delivery/transports/http.ts.
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

const header = (name: string, description: string, example: string) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
  example,
});

/** The `webhooks` section: one POST per event and subscribed webhook, retried until a 2xx. */
export function outgoingWebhooks(payloadRef: object) {
  return {
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
        parameters: [
          header("webhook-id", "The event id: the same on every retry of this event, to dedupe by.", "evt_4fQ9kZ2mX7bN1pR8sT3vW5"),
          header("webhook-timestamp", "Unix seconds when this attempt was signed; reject stale ones (Standard Webhooks libraries allow 5 minutes).", "1716199200"),
          header(
            "webhook-signature",
            "`v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the secret's key bytes (base64 after `whsec_`, else its UTF-8 bytes). During a secret rotation there is one entry per active secret, space-separated; any one matching is enough.",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
          ),
          header("user-agent", "hookrelay and its version.", USER_AGENT),
        ],
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
