// Surface B shapes (docs/api-guide.md, surface B), declared once for validation,
// types and OpenAPI. Field order in the object schemas is the order clients see.
import { t } from "elysia";
import { DISCORD_VALUE_PATTERN, DISCORD_VALUE_RULE } from "../delivery/transports/discord-target";

export const ALERT_LEVELS = ["fatal", "warning", "info"] as const;
export const WEBHOOK_TYPES = ["discord"] as const;

// Unions of literals, not t.UnionEnum: Elysia gives UnionEnum a default value.
const Level = t.Union(ALERT_LEVELS.map((l) => t.Literal(l)), {
  error: `Must be one of ${ALERT_LEVELS.join(", ")}`,
  description: 'Severity level. Values: "fatal", "warning", "info".',
});
const Type = t.Union(WEBHOOK_TYPES.map((v) => t.Literal(v)), {
  error: 'Must be "discord"',
  description: 'Webhook type. Accepted values: "discord".',
});
const Value = t.String({
  maxLength: 512,
  pattern: DISCORD_VALUE_PATTERN,
  error: DISCORD_VALUE_RULE,
  description: "Webhook URL or configuration: a Discord webhook URL or a Discord channel id.",
  examples: ["123456789", "https://discord.com/api/webhooks/1234567890123456789/AbCdEf-token"],
});

export const TrafficSourceParams = t.Object({ trafficSourceId: t.String({ description: "Traffic source ID for the webhook." }) });
export const TrafficSourceWebhookParams = t.Object({ trafficSourceId: t.String(), id: t.String() });
export const SourceIdParams = t.Object({ id: t.String({ description: "Traffic source ID." }) });

export const CreateTrafficSourceWebhookBody = t.Object(
  { type: Type, level: Level, value: Value },
  { error: "Must be a JSON object with type, level and value" },
);
export type CreateTrafficSourceWebhookBody = typeof CreateTrafficSourceWebhookBody.static;

export const UpdateTrafficSourceWebhookBody = t.Object(
  { type: t.Optional(Type), level: t.Optional(Level), value: t.Optional(Value) },
  { minProperties: 1, error: "Must be a JSON object with at least one of type, level, value" },
);
export type UpdateTrafficSourceWebhookBody = typeof UpdateTrafficSourceWebhookBody.static;

export const TrafficSourceWebhook = t.Object({
  id: t.String({ format: "uuid", examples: ["9f1c2b7e-5d4a-4c3b-8e2f-1a0b9c8d7e6f"] }),
  type: t.String({ examples: ["discord"] }),
  level: t.String({ examples: ["fatal"] }),
  value: t.String({ examples: ["123456789"] }),
  trafficSourceId: t.String({ examples: ["c1d2e3f4-a5b6-4789-8123-4567890abcde"] }),
  createdAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
  updatedAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
});
export type TrafficSourceWebhook = typeof TrafficSourceWebhook.static;

export const CreateTrafficSourceBody = t.Object(
  { name: t.String({ minLength: 1, maxLength: 200, pattern: "\\S", error: "Must be a non-blank string of at most 200 characters", examples: ["Checkout API"] }) },
  { error: "Must be a JSON object with name" },
);

export const TrafficSource = t.Object({
  id: t.String({ format: "uuid", examples: ["c1d2e3f4-a5b6-4789-8123-4567890abcde"] }),
  name: t.String({ examples: ["Checkout API"] }),
  ownerId: t.String({ format: "uuid" }),
  createdAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
  updatedAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
});
export type TrafficSource = typeof TrafficSource.static;

const AlertFieldSchema = t.Object({
  name: t.String({ minLength: 1, maxLength: 1024, pattern: "\\S", error: "Must be a non-blank string (cut to 256 characters)" }),
  value: t.String({ minLength: 1, maxLength: 4096, pattern: "\\S", error: "Must be a non-blank string (cut to 1024 characters)" }),
  inline: t.Optional(t.Boolean({ error: "Must be true or false" })),
});

export const RaiseAlertBody = t.Object(
  {
    level: Level,
    title: t.String({ minLength: 1, maxLength: 1024, pattern: "\\S", error: "Must be a non-blank string (cut to 256 characters)", examples: ["Checkout error rate above 5%"] }),
    message: t.String({ minLength: 1, maxLength: 16384, pattern: "\\S", error: "Must be a non-blank string (cut to 4096 characters)", examples: ["5xx responses reached 7.2% over the last 5 minutes."] }),
    fields: t.Optional(t.Array(AlertFieldSchema, { maxItems: 25, error: "Must be a list of at most 25 {name, value, inline?} objects" })),
  },
  { error: "Must be a JSON object with level, title, message and optionally fields" },
);
export type RaiseAlertBody = typeof RaiseAlertBody.static;

export const RaisedAlert = t.Object({
  id: t.String({ format: "uuid", description: "The event id." }),
  trafficSourceId: t.String(),
  level: t.String(),
  deliveries: t.Integer({ description: "1 when the source has a webhook for this level, else 0 (nothing is sent)." }),
  createdAt: t.String(),
});

const Attempt = t.Object({
  attemptedAt: t.String(),
  durationMs: t.Integer(),
  statusCode: t.Union([t.Integer(), t.Null()]),
  responseBody: t.Union([t.String(), t.Null()], { description: "At most 4 KiB of Discord's answer." }),
  error: t.Union([t.String(), t.Null()]),
});

export const AlertDelivery = t.Object({
  id: t.String(),
  status: t.Union([t.Literal("pending"), t.Literal("leased"), t.Literal("delivered"), t.Literal("failed")]),
  attempts: t.Integer(),
  nextAttemptAt: t.Union([t.String(), t.Null()]),
  lastStatusCode: t.Union([t.Integer(), t.Null()]),
  lastError: t.Union([t.String(), t.Null()]),
  deliveredAt: t.Union([t.String(), t.Null()]),
  attemptLog: t.Array(Attempt, { description: "Every attempt, oldest first." }),
});

export const AlertSummary = t.Object({
  id: t.String({ format: "uuid" }),
  trafficSourceId: t.String(),
  level: t.Union([t.Literal("fatal"), t.Literal("warning"), t.Literal("info")]),
  title: t.Union([t.String(), t.Null()], { description: "As sent to Discord (cut to its limits)." }),
  createdAt: t.String(),
  deliveries: t.Integer({ description: "1 when it was sent to a webhook of its level, else 0." }),
});

export const Alert = t.Object({
  ...AlertSummary.properties,
  discordMessage: t.Unknown({ description: "The exact message sent to Discord." }),
  delivery: t.Union([AlertDelivery, t.Null()], { description: "Its Discord delivery with every attempt; null when the level had no webhook." }),
});

export const AlertListQuery = t.Object({
  limit: t.Optional(t.String({ description: "How many, 1–100 (default 20)." })),
  before: t.Optional(t.String({ description: "Only alerts raised before this ISO-8601 time (the `createdAt` of the last one seen)." })),
});

export const AlertParams = t.Object({ id: t.String({ description: "Traffic source ID." }), alertId: t.String({ description: "The alert's id." }) });
