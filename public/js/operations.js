// The operations the console can call, declared as data, and the one function that turns an
// operation plus the form's values into the request that is previewed and sent. No DOM here,
// so `bun test` checks the request the console would build.

export const EVENT_CATALOGUE = ["link.created", "link.updated", "link.deleted", "link.clicked", "uptime.down", "uptime.up"];

/** Shown in the preview while the key field is empty, as the API document does. */
export const TOKEN_PLACEHOLDER = "YOUR_API_TOKEN";

const id = (label, description) => ({ name: "id", in: "path", kind: "text", required: true, label, description });

const webhookBody = (required) => [
  {
    name: "url", in: "body", kind: "url", required, label: "url",
    description: "Endpoint URL that receives webhook POST requests.",
    placeholder: "https://api.acme-retail.com/webhooks/links",
  },
  { name: "events", in: "body", kind: "events", required, label: "events", description: "Events to subscribe to." },
  {
    name: "secret", in: "body", kind: "text", label: "secret",
    description: "Optional secret for HMAC signature verification (8–128 characters; generated when empty).",
  },
  {
    name: "metadata", in: "body", kind: "json", object: true, label: "metadata", initial: required ? "{}" : "",
    description: "Arbitrary metadata attached to the webhook (a JSON object).",
  },
];

const cursorQuery = [
  { name: "limit", in: "query", kind: "integer", label: "limit", description: "Page size, 1–100 (default 20)." },
  { name: "cursor", in: "query", kind: "text", label: "cursor", description: "next_cursor of the previous page." },
];

/**
 * auth: "apiKey" (Bearer or x-api-key), "user" (Bearer session token from login) or "none".
 * Field kinds: text, url, email, password, integer, select, boolean, events, json.
 */
export const OPERATIONS = [
  {
    id: "create-webhook", group: "Link webhooks", label: "Create webhook", method: "POST", path: "/api/v1/links/webhooks", auth: "apiKey",
    description: "Create a webhook subscription for link events. The webhook URL receives POST requests when the subscribed events occur.",
    fields: webhookBody(true),
  },
  {
    id: "list-webhooks", group: "Link webhooks", label: "List webhooks", method: "GET", path: "/api/v1/links/webhooks", auth: "apiKey",
    description: "Newest first, with cursor pagination.",
    fields: [
      ...cursorQuery,
      { name: "event", in: "query", kind: "select", options: EVENT_CATALOGUE, label: "event", description: "Only webhooks subscribed to this event." },
      { name: "active", in: "query", kind: "boolean", label: "active", description: "Only active or only inactive webhooks." },
    ],
  },
  {
    id: "get-webhook", group: "Link webhooks", label: "Get webhook", method: "GET", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Read one webhook.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "update-webhook", group: "Link webhooks", label: "Update webhook", method: "PATCH", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Partial update: only the fields you fill are sent.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      ...webhookBody(false),
      { name: "active", in: "body", kind: "boolean", label: "active", description: "Re-enable or pause the webhook." },
    ],
  },
  {
    id: "delete-webhook", group: "Link webhooks", label: "Delete webhook", method: "DELETE", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Delete the webhook with its pending deliveries and their log.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "webhook-secret", group: "Link webhooks", label: "Get signing secret", method: "GET", path: "/api/v1/links/webhooks/:id/secret", auth: "apiKey",
    description: "The only route that returns the signing secret.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "rotate-secret", group: "Link webhooks", label: "Rotate signing secret", method: "POST", path: "/api/v1/links/webhooks/:id/secret/rotate", auth: "apiKey",
    description: "A new secret (read it with Get signing secret); the old one keeps signing beside it for 24 hours.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "test-webhook", group: "Link webhooks", label: "Send test event", method: "POST", path: "/api/v1/links/webhooks/:id/test", auth: "apiKey",
    description: "Send a webhook.test event to this webhook only.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "list-deliveries", group: "Deliveries", label: "List deliveries", method: "GET", path: "/api/v1/links/webhooks/:id/deliveries", auth: "apiKey",
    description: "A webhook's delivery log, newest first.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      { name: "status", in: "query", kind: "select", options: ["pending", "leased", "delivered", "failed"], label: "status", description: "Only deliveries in this state." },
      ...cursorQuery,
    ],
  },
  {
    id: "get-delivery", group: "Deliveries", label: "Get delivery", method: "GET", path: "/api/v1/deliveries/:id", auth: "apiKey",
    description: "One delivery with every attempt.", fields: [id("id", "The delivery id (dlv_…).")],
  },
  {
    id: "retry-delivery", group: "Deliveries", label: "Retry delivery", method: "POST", path: "/api/v1/deliveries/:id/retry", auth: "apiKey",
    description: "Deliver again now.", fields: [id("id", "The delivery id (dlv_…).")],
  },
  {
    id: "recover-deliveries", group: "Deliveries", label: "Recover failed deliveries", method: "POST", path: "/api/v1/links/webhooks/:id/recover", auth: "apiKey",
    description: "Attempt again every failed delivery of this webhook enqueued since a time.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      { name: "since", in: "body", kind: "text", required: true, label: "since", description: "An ISO-8601 time, e.g. 2024-05-20T00:00:00Z.", placeholder: "2024-05-20T00:00:00Z" },
    ],
  },
  {
    id: "publish-event", group: "Events", label: "Publish event", method: "POST", path: "/api/v1/events", auth: "apiKey",
    description: "Publish an event to every active webhook subscribed to its type.",
    fields: [
      { name: "type", in: "body", kind: "select", options: EVENT_CATALOGUE, required: true, label: "type", description: "An event type from the catalogue." },
      { name: "data", in: "body", kind: "json", object: true, required: true, initial: "{}", label: "data", description: "The event payload (a JSON object)." },
      { name: "id", in: "body", kind: "text", label: "id", description: "Optional event id; publishing the same id twice delivers once." },
      { name: "Idempotency-Key", in: "header", kind: "text", label: "Idempotency-Key", description: "Optional header; dedupes like id." },
    ],
  },
  {
    id: "event-types", group: "Events", label: "List event types", method: "GET", path: "/api/v1/event-types", auth: "apiKey",
    description: "The event catalogue.", fields: [],
  },
  {
    id: "create-user", group: "Traffic sources", label: "Create user", method: "POST", path: "/api/v1/users", auth: "apiKey",
    description: "An admin creates a user who can then log in and manage traffic sources.",
    fields: [
      { name: "email", in: "body", kind: "email", required: true, label: "email", description: "The user's email." },
      { name: "password", in: "body", kind: "password", required: true, label: "password", description: "8–256 characters." },
    ],
  },
  {
    id: "login", group: "Traffic sources", label: "Log in", method: "POST", path: "/auth/login", auth: "none",
    description: "Exchange email and password for a session token (use it as the Bearer token below).",
    fields: [
      { name: "email", in: "body", kind: "email", required: true, label: "email", description: "The user's email." },
      { name: "password", in: "body", kind: "password", required: true, label: "password", description: "The user's password." },
    ],
  },
  {
    id: "create-traffic-source", group: "Traffic sources", label: "Create traffic source", method: "POST", path: "/traffic-sources", auth: "user",
    description: "Create a traffic source owned by the signed-in user.",
    fields: [{ name: "name", in: "body", kind: "text", required: true, label: "name", description: "A name for the source." }],
  },
  {
    id: "list-traffic-sources", group: "Traffic sources", label: "List traffic sources", method: "GET", path: "/traffic-sources", auth: "user",
    description: "The signed-in user's traffic sources.", fields: [],
  },
  {
    id: "create-traffic-webhook", group: "Traffic sources", label: "Create traffic-source webhook", method: "POST", path: "/webhooks/:trafficSourceId", auth: "user",
    description: "Register a Discord webhook for one severity level of a traffic source.",
    fields: [
      { name: "trafficSourceId", in: "path", kind: "text", required: true, label: "trafficSourceId", description: "Traffic source ID for the webhook." },
      { name: "type", in: "body", kind: "select", options: ["discord"], required: true, initial: "discord", label: "type", description: 'Webhook type. Accepted values: "discord".' },
      { name: "level", in: "body", kind: "select", options: ["fatal", "warning", "info"], required: true, initial: "fatal", label: "level", description: "Severity level." },
      { name: "value", in: "body", kind: "text", required: true, label: "value", description: "Discord webhook URL or channel ID.", placeholder: "123456789" },
    ],
  },
  {
    id: "raise-alert", group: "Traffic sources", label: "Raise alert", method: "POST", path: "/traffic-sources/:id/events", auth: "user",
    description: "Send an alert to the source's webhook for that level, as a Discord message.",
    fields: [
      { name: "id", in: "path", kind: "text", required: true, label: "id", description: "Traffic source ID." },
      { name: "level", in: "body", kind: "select", options: ["fatal", "warning", "info"], required: true, initial: "fatal", label: "level", description: "Severity level." },
      { name: "title", in: "body", kind: "text", required: true, label: "title", description: "The alert's title." },
      { name: "message", in: "body", kind: "text", required: true, label: "message", description: "The alert's text." },
      { name: "fields", in: "body", kind: "json", array: true, label: "fields", description: 'Optional list of {"name", "value", "inline"} objects.' },
    ],
  },
  {
    id: "list-traffic-webhooks", group: "Traffic sources", label: "List traffic-source webhooks", method: "GET", path: "/webhooks/:trafficSourceId", auth: "user",
    description: "The webhooks of one traffic source.",
    fields: [{ name: "trafficSourceId", in: "path", kind: "text", required: true, label: "trafficSourceId", description: "Traffic source ID." }],
  },
];

export function findOperation(operationId) {
  return OPERATIONS.find((op) => op.id === operationId);
}

/** The value a field starts with in a fresh form. */
export function initialValue(field) {
  if (field.kind === "events") return [];
  return field.initial ?? "";
}

/** Parses a JSON editor's text; returns { value } or { error } with a message for the user. */
export function parseJsonField(text, shape) {
  if (text.trim() === "") return { value: undefined };
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (shape === "object" && (value === null || typeof value !== "object" || Array.isArray(value))) {
    return { error: 'Must be a JSON object, like {"team": "growth"}' };
  }
  if (shape === "array" && !Array.isArray(value)) return { error: 'Must be a JSON array, like [{"name": "region", "value": "eu"}]' };
  return { value };
}

function fieldValue(field, raw) {
  switch (field.kind) {
    case "events":
      // Catalogue order, whatever order the boxes were ticked in.
      return { value: EVENT_CATALOGUE.filter((e) => raw.includes(e)), empty: raw.length === 0 };
    case "json": {
      const parsed = parseJsonField(raw, field.object ? "object" : field.array ? "array" : undefined);
      return parsed.error ? { error: parsed.error, empty: false } : { value: parsed.value, empty: parsed.value === undefined };
    }
    case "boolean":
      return { value: raw === "true", empty: raw === "" };
    case "integer": {
      const trimmed = raw.trim();
      if (trimmed === "") return { empty: true };
      return /^-?\d+$/.test(trimmed) ? { value: Number(trimmed), empty: false } : { error: "Must be a whole number", empty: false };
    }
    default:
      return { value: raw, empty: raw === "" };
  }
}

/**
 * Builds the request for an operation.
 * @param {object} op an entry of OPERATIONS
 * @param {Record<string, unknown>} values raw form values by field name
 * @param {{bearer?: string, apiKey?: string}} auth
 * @param {string} origin the server's scheme, host and port (the page's location.origin)
 * @returns {{ method: string, url: string, headers: [string,string][], body?: unknown,
 *   errors: Record<string,string>, missing: string[] }}
 *   errors: fields whose text cannot be sent (the preview leaves them out, Send is refused);
 *   missing: required path parameters still empty (Send is refused).
 */
export function buildRequest(op, values, auth, origin) {
  const errors = {};
  const missing = [];
  const query = new URLSearchParams();
  const extraHeaders = [];
  let body = op.fields.some((f) => f.in === "body") ? {} : undefined;

  let path = op.path;
  for (const field of op.fields) {
    const result = fieldValue(field, values[field.name] ?? initialValue(field));
    if (result.error) {
      errors[field.name] = result.error;
      continue;
    }
    if (field.in === "path") {
      const text = String(result.value ?? "").trim();
      if (text === "") missing.push(field.name);
      path = path.replace(`:${field.name}`, text === "" ? `{${field.name}}` : encodeURIComponent(text));
      continue;
    }
    if (result.empty && !field.required) continue;
    if (field.in === "query") query.set(field.name, String(result.value));
    else if (field.in === "header") extraHeaders.push([field.name, String(result.value)]);
    // A required field left empty is still shown and sent, so the server's own validation
    // message explains what is wrong.
    else body[field.name] = result.value ?? (field.kind === "events" ? [] : "");
  }

  const headers = [];
  if (body !== undefined) headers.push(["Content-Type", "application/json"]);
  const bearer = auth.bearer?.trim() ?? "";
  const apiKey = auth.apiKey?.trim() ?? "";
  if (op.auth === "apiKey") {
    if (bearer !== "" || apiKey === "") headers.push(["Authorization", `Bearer ${bearer || TOKEN_PLACEHOLDER}`]);
    if (apiKey !== "") headers.push(["x-api-key", apiKey]);
  } else if (op.auth === "user") {
    headers.push(["Authorization", `Bearer ${bearer || TOKEN_PLACEHOLDER}`]);
  }
  headers.push(...extraHeaders);

  const search = query.toString();
  return { method: op.method, url: origin + path + (search ? `?${search}` : ""), headers, body, errors, missing };
}
