// Event type shapes, declared once for validation, types and OpenAPI (docs/api-guide.md#event-types).
import { t } from "elysia";

/** Dot-separated words: `order.created`, `invoice.payment_failed`. */
export const EVENT_TYPE_PATTERN = "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$";
export const MAX_EVENT_TYPE_LENGTH = 100;

export const EventTypeNameParams = t.Object({
  name: t.String({
    maxLength: MAX_EVENT_TYPE_LENGTH,
    pattern: EVENT_TYPE_PATTERN,
    error: `Must be 1 to ${MAX_EVENT_TYPE_LENGTH} characters: words of letters, digits, '_' or '-' joined by dots`,
    examples: ["order.created"],
  }),
});

export const PutEventTypeBody = t.Object(
  {
    description: t.Optional(t.String({ maxLength: 1000, error: "Must be a string of at most 1000 characters", examples: ["An order was placed."] })),
    schema: t.Optional(
      t.Union([t.Record(t.String({ pattern: "^[\\s\\S]*$" }), t.Unknown()), t.Null()], {
        error: "Must be a JSON Schema object, or null to remove it",
        description: "JSON Schema (2020-12) that every published `data` of this type must satisfy; null removes it.",
      }),
    ),
    archived: t.Optional(t.Boolean({ error: "Must be true or false", description: "Archived types still publish and reach existing subscribers; new subscriptions are refused." })),
  },
  { error: "Must be a JSON object" },
);
export type PutEventTypeBody = typeof PutEventTypeBody.static;

export const EventTypeInfo = t.Object({
  name: t.String({ examples: ["link.clicked"] }),
  description: t.String({ examples: ["A short link was followed."] }),
  built_in: t.Boolean({ description: "`link.*` and `uptime.*` are built in; the others are your own." }),
  archived: t.Boolean(),
  schema: t.Union([t.Record(t.String(), t.Unknown()), t.Null()], { description: "The JSON Schema `data` must satisfy, if any." }),
});
export type EventTypeInfo = typeof EventTypeInfo.static;
