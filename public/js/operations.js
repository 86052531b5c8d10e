// The operations the console can call, declared as data, and the one function that turns an
// operation plus the form's values into the request that is previewed and sent. No DOM here,
// so `bun test` checks the request the console would build.

/** Published by hookrelay itself: webhooks subscribe to them, publishers may not send them. */
const OPERATIONAL_EVENTS = new Set(["webhook.disabled", "delivery.exhausted"]);

/** The built-in types; replaced by the server's own list (own types too) once it has answered. */
export const EVENT_CATALOGUE = ["link.created", "link.updated", "link.deleted", "link.clicked", "uptime.down", "uptime.up", "webhook.disabled", "delivery.exhausted"];
/** The catalogue without the operational events: what Publish event offers. */
export const PUBLISHABLE_CATALOGUE = EVENT_CATALOGUE.filter((name) => !OPERATIONAL_EVENTS.has(name));

/**
 * Takes the server's catalogue (`GET /api/v1/event-types`): every type that is not archived, in
 * the server's order. Changed in place, since the fields above hold this very array.
 * @returns {boolean} whether it changed
 */
export function setEventCatalogue(types) {
  const names = types.filter((t) => typeof t?.name === "string" && t.archived !== true).map((t) => t.name);
  if (names.length === 0 || JSON.stringify(names) === JSON.stringify(EVENT_CATALOGUE)) return false;
  EVENT_CATALOGUE.splice(0, EVENT_CATALOGUE.length, ...names);
  PUBLISHABLE_CATALOGUE.splice(0, PUBLISHABLE_CATALOGUE.length, ...names.filter((name) => !OPERATIONAL_EVENTS.has(name)));
  return true;
}

/** Shown in the preview while the key field is empty, as the samples of docs/api-guide.md do. */
export const TOKEN_PLACEHOLDER = "YOUR_API_TOKEN";
/** The same for surface B's session token (from Log in). */
export const USER_TOKEN_PLACEHOLDER = "YOUR_SESSION_TOKEN";

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
  {
    name: "signature", in: "body", kind: "select", options: ["hmac", "ed25519"], label: "signature",
    description: required
      ? "How deliveries are signed: hmac (default, v1) or ed25519 (v1a; receivers verify with the public key from Get signing secret)."
      : "Switch how deliveries are signed: a new key of that kind is generated, and the old one keeps signing beside it for 24 hours.",
  },
  {
    name: "filter", in: "body", kind: "json", object: true, nullable: true, label: "filter",
    description: 'Only events whose data match this condition are delivered, MongoDB-style: {"amount": {"$gte": 100}}. null: every event (on update, removes the filter).',
  },
  // The optional delivery controls (docs/architecture.md, "Per-webhook delivery controls"): left
  // empty, nothing is sent and the server's defaults apply.
  {
    name: "retry_schedule", in: "body", kind: "json", label: "retry_schedule", placeholder: "[10, 60, 600]",
    description: "Optional: seconds to wait after each failed attempt, instead of the server's schedule (at most 20 delays of 1–604800 s, 14 days in all; [] for no retries; null removes it).",
  },
  {
    name: "timeout_ms", in: "body", kind: "integer", label: "timeout_ms", placeholder: "5000",
    description: "Optional: how long one attempt may take, 100–60000 ms, instead of the server's timeout.",
  },
  {
    name: "headers", in: "body", kind: "json", object: true, label: "headers", placeholder: '{"Authorization": "Bearer …"}',
    description: "Optional: extra request headers sent with every delivery (a JSON object of name → value, at most 20; not host, content-*, user-agent, webhook-* or hop-by-hop headers; {} removes them).",
  },
  // The delivery controls (README, "Per-webhook delivery controls"): "null" clears one on an update.
  {
    name: "ordering", in: "body", kind: "select", options: ["fifo", "null"], nullable: true, label: "ordering",
    description: "fifo: deliveries go one at a time, in publish order; a failing one holds those behind it. null: unordered again. Empty: unchanged (unordered on create).",
  },
  {
    name: "rate_limit", in: "body", kind: "integer", nullable: true, label: "rate_limit",
    description: "At most this many requests a second to this webhook (1–10000), over every node. null: no limit. Empty: unchanged (none on create).",
  },
];

const cursorQuery = [
  { name: "limit", in: "query", kind: "integer", label: "limit", description: "Page size, 1–100 (default 20)." },
  { name: "cursor", in: "query", kind: "text", label: "cursor", description: "next_cursor of the previous page." },
];

const timeRange = [
  { name: "since", in: "query", kind: "text", label: "since", description: "Only from this ISO-8601 time on.", placeholder: "2024-05-20T00:00:00Z" },
  { name: "until", in: "query", kind: "text", label: "until", description: "Only before this ISO-8601 time.", placeholder: "2024-05-21T00:00:00Z" },
];

export const DELIVERY_STATUSES = ["pending", "leased", "delivered", "failed"];

/** The filters of a delivery search; in the body for a bulk retry (status then defaults to failed). */
function deliveryFilters(inBody) {
  const at = inBody ? "body" : "query";
  return [
    { name: "status", in: at, kind: "select", options: DELIVERY_STATUSES, label: "status", description: inBody ? "Only deliveries in this state (default: failed)." : "Only deliveries in this state." },
    { name: "webhook_id", in: at, kind: "text", label: "webhook_id", description: "Only this webhook's deliveries (whk_…)." },
    { name: "event_type", in: at, kind: "text", label: "event_type", description: "Only deliveries of events of this type.", placeholder: "link.clicked" },
    { name: "event_id", in: at, kind: "text", label: "event_id", description: "Only the deliveries of this event." },
    ...timeRange.map((field) => ({ ...field, in: at })),
    ...(inBody ? [cursorQuery[1]].map((field) => ({ ...field, in: "body" })) : cursorQuery),
  ];
}

const userId = () => ({ name: "id", in: "path", kind: "text", required: true, label: "id", description: "The user id." });

const sourceId = (name) => ({ name, in: "path", kind: "text", required: true, label: name, description: "Traffic source ID." });

/** The tenant every install has; a platform key acts on it when no tenant_id is sent. */
export const DEFAULT_TENANT = "default";

const tenantPath = (description) => ({ ...id("id", description), pickedTenant: true });

/**
 * auth: "apiKey" (Bearer or x-api-key), "user" (Bearer session token from login) or "none".
 * scope (apiKey routes): "tenant" (any key, on its own tenant's objects), "publish" (a key
 * with can_publish), "platform" (keys created without a tenant; tenant keys get 403).
 * tenant: where a platform key's picked tenant goes ("body" or "query" as tenant_id).
 * Field kinds: text, url, email, password, integer, select, boolean, events, json (object: a JSON
 * object). `nullable`: the text (or option) "null" sends null.
 * pickedTenant: the field starts out holding the tenant picked for a platform key.
 */
export const OPERATIONS = [
  {
    id: "create-webhook", operationId: "createWebhook", scope: "tenant", tenant: "body", group: "Link webhooks", label: "Create webhook", method: "POST", path: "/api/v1/links/webhooks", auth: "apiKey",
    description: "Create a webhook subscription for link events. The webhook URL receives POST requests when the subscribed events occur.",
    fields: webhookBody(true),
  },
  {
    id: "list-webhooks", operationId: "listWebhooks", scope: "tenant", tenant: "query", group: "Link webhooks", label: "List webhooks", method: "GET", path: "/api/v1/links/webhooks", auth: "apiKey",
    description: "Newest first, with cursor pagination.",
    fields: [
      ...cursorQuery,
      { name: "event", in: "query", kind: "select", options: EVENT_CATALOGUE, label: "event", description: "Only webhooks subscribed to this event." },
      { name: "active", in: "query", kind: "boolean", label: "active", description: "Only active or only inactive webhooks." },
    ],
  },
  {
    id: "get-webhook", operationId: "getWebhook", scope: "tenant", group: "Link webhooks", label: "Get webhook", method: "GET", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Read one webhook.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "update-webhook", operationId: "updateWebhook", scope: "tenant", group: "Link webhooks", label: "Update webhook", method: "PATCH", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Partial update: only the fields you fill are sent.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      ...webhookBody(false),
      { name: "active", in: "body", kind: "boolean", label: "active", description: "Re-enable or pause the webhook." },
    ],
  },
  {
    id: "delete-webhook", operationId: "deleteWebhook", scope: "tenant", group: "Link webhooks", label: "Delete webhook", method: "DELETE", path: "/api/v1/links/webhooks/:id", auth: "apiKey",
    description: "Delete the webhook with its pending deliveries and their log.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "webhook-secret", operationId: "getWebhookSecret", scope: "tenant", group: "Link webhooks", label: "Get signing secret", method: "GET", path: "/api/v1/links/webhooks/:id/secret", auth: "apiKey",
    description: "The only route that returns the signing secret (and, for ed25519, the public key receivers verify with).", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "rotate-secret", operationId: "rotateWebhookSecret", scope: "tenant", group: "Link webhooks", label: "Rotate signing secret", method: "POST", path: "/api/v1/links/webhooks/:id/secret/rotate", auth: "apiKey",
    description: "A new secret (read it with Get signing secret); the old one keeps signing beside it for 24 hours.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "test-webhook", operationId: "testWebhook", scope: "tenant", group: "Link webhooks", label: "Send test event", method: "POST", path: "/api/v1/links/webhooks/:id/test", auth: "apiKey",
    description: "Send a webhook.test event to this webhook only.", fields: [id("id", "The webhook id (whk_…).")],
  },
  {
    id: "list-deliveries", operationId: "listWebhookDeliveries", scope: "tenant", group: "Deliveries", label: "List deliveries", method: "GET", path: "/api/v1/links/webhooks/:id/deliveries", auth: "apiKey",
    description: "A webhook's delivery log, newest first.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      { name: "status", in: "query", kind: "select", options: DELIVERY_STATUSES, label: "status", description: "Only deliveries in this state." },
      ...cursorQuery,
    ],
  },
  {
    id: "get-delivery", operationId: "getDelivery", scope: "tenant", group: "Deliveries", label: "Get delivery", method: "GET", path: "/api/v1/deliveries/:id", auth: "apiKey",
    description: "One delivery with every attempt.", fields: [id("id", "The delivery id (dlv_…).")],
  },
  {
    id: "retry-delivery", operationId: "retryDelivery", scope: "tenant", group: "Deliveries", label: "Retry delivery", method: "POST", path: "/api/v1/deliveries/:id/retry", auth: "apiKey",
    description: "Deliver again now.", fields: [id("id", "The delivery id (dlv_…).")],
  },
  {
    id: "recover-deliveries", operationId: "recoverWebhookDeliveries", scope: "tenant", group: "Deliveries", label: "Recover failed deliveries", method: "POST", path: "/api/v1/links/webhooks/:id/recover", auth: "apiKey",
    description: "Attempt again every failed delivery of this webhook enqueued since a time.",
    fields: [
      id("id", "The webhook id (whk_…)."),
      { name: "since", in: "body", kind: "text", required: true, label: "since", description: "An ISO-8601 time, e.g. 2024-05-20T00:00:00Z.", placeholder: "2024-05-20T00:00:00Z" },
    ],
  },
  {
    id: "search-deliveries", operationId: "searchDeliveries", scope: "tenant", tenant: "query", group: "Deliveries", label: "Search deliveries", method: "GET", path: "/api/v1/deliveries", auth: "apiKey",
    description: "Every delivery of the tenant, newest first. A page may hold fewer than limit items while has_more is true: the server looks at a bounded window per request.",
    fields: deliveryFilters(false),
  },
  {
    id: "retry-deliveries", operationId: "retryDeliveries", scope: "tenant", tenant: "body", group: "Deliveries", label: "Retry matching deliveries", method: "POST", path: "/api/v1/deliveries/retry", auth: "apiKey",
    description: "Makes every match due now (status defaults to failed), a bounded batch per request; while has_more is true, send next_cursor back as cursor.",
    fields: deliveryFilters(true),
  },
  {
    id: "publish-event", operationId: "publishEvent", scope: "publish", tenant: "body", group: "Events", label: "Publish event", method: "POST", path: "/api/v1/events", auth: "apiKey",
    description: "Publish an event to every active webhook of the tenant subscribed to its type.",
    fields: [
      { name: "type", in: "body", kind: "select", options: PUBLISHABLE_CATALOGUE, required: true, label: "type", description: "An event type from the catalogue." },
      { name: "data", in: "body", kind: "json", object: true, required: true, initial: "{}", label: "data", description: "The event payload (a JSON object)." },
      { name: "id", in: "body", kind: "text", label: "id", description: "Optional event id; publishing the same id twice delivers once." },
      { name: "Idempotency-Key", in: "header", kind: "text", label: "Idempotency-Key", description: "Optional header; dedupes like id." },
    ],
  },
  {
    id: "list-events", operationId: "listEvents", scope: "tenant", tenant: "query", group: "Events", label: "List events", method: "GET", path: "/api/v1/events", auth: "apiKey",
    description: "The tenant's published events, newest first.",
    fields: [
      { name: "type", in: "query", kind: "text", label: "type", description: "Only events of this type.", placeholder: "link.clicked" },
      ...timeRange,
      ...cursorQuery,
    ],
  },
  {
    id: "get-event", operationId: "getEvent", scope: "tenant", tenant: "query", group: "Events", label: "Get event", method: "GET", path: "/api/v1/events/:id", auth: "apiKey",
    description: "The event with the exact payload every receiver got, and its deliveries.",
    fields: [id("id", "The event id (evt_… or the publisher's own).")],
  },
  {
    id: "event-types", operationId: "listEventTypes", scope: "tenant", group: "Events", label: "List event types", method: "GET", path: "/api/v1/event-types", auth: "apiKey",
    description: "The event catalogue.", fields: [],
  },
  {
    id: "put-event-type", operationId: "putEventType", scope: "platform", group: "Events", label: "Create or update event type", method: "PUT", path: "/api/v1/event-types/:name", auth: "apiKey",
    description: "An own event type webhooks can subscribe to and publishers can send; link.* and uptime.* are built in.",
    fields: [
      { name: "name", in: "path", kind: "text", required: true, label: "name", description: "The type's name, e.g. order.created.", placeholder: "order.created" },
      { name: "description", in: "body", kind: "text", label: "description", description: "What the event means.", placeholder: "An order was placed." },
      { name: "schema", in: "body", kind: "json", object: true, label: "schema", description: "Optional JSON Schema that every published event's data must match." },
      { name: "archived", in: "body", kind: "boolean", label: "archived", description: "Archived: no new subscriptions; existing ones keep delivering." },
    ],
  },
  {
    id: "put-tenant", operationId: "putTenant", scope: "platform", group: "Tenants", label: "Create or update tenant", method: "PUT", path: "/api/v1/tenants/:id", auth: "apiKey",
    description: "A tenant is one customer of your product; its id is your own id for that customer. 201 when created, 200 when updated.",
    fields: [
      { name: "id", in: "path", kind: "text", required: true, label: "id", description: "1–64 of A-Z a-z 0-9 _ - . (your customer id).", placeholder: "acme-retail" },
      { name: "name", in: "body", kind: "text", label: "name", description: "A display name, e.g. Acme Retail.", placeholder: "Acme Retail" },
      { name: "metadata", in: "body", kind: "json", object: true, label: "metadata", description: "Arbitrary metadata attached to the tenant (a JSON object)." },
    ],
  },
  {
    id: "list-tenants", operationId: "listTenants", scope: "platform", group: "Tenants", label: "List tenants", method: "GET", path: "/api/v1/tenants", auth: "apiKey",
    description: "Newest first, with cursor pagination.", fields: [...cursorQuery],
  },
  {
    id: "get-tenant", operationId: "getTenant", scope: "platform", group: "Tenants", label: "Get tenant", method: "GET", path: "/api/v1/tenants/:id", auth: "apiKey",
    description: "Read one tenant.", fields: [tenantPath("The tenant id.")],
  },
  {
    id: "delete-tenant", operationId: "deleteTenant", scope: "platform", group: "Tenants", label: "Delete tenant", method: "DELETE", path: "/api/v1/tenants/:id", auth: "apiKey",
    description: "Removes the tenant with its webhooks, events, deliveries and API keys (the answer says how many). The default tenant cannot be deleted.",
    fields: [tenantPath("The tenant id.")],
  },
  {
    id: "create-portal-link", operationId: "createPortalLink", scope: "platform", group: "Tenants", label: "Create portal link", method: "POST", path: "/api/v1/tenants/:id/portal", auth: "apiKey",
    description: "A link to this console signed in as the tenant, for your customer: their webhooks, secrets and deliveries only, no publishing.",
    fields: [
      tenantPath("The tenant the link signs in as."),
      { name: "expires_in", in: "body", kind: "integer", label: "expires_in", description: "Seconds the link works, 60–604800 (default 3600: one hour)." },
    ],
  },
  {
    id: "create-api-key", operationId: "createApiKey", scope: "platform", group: "API keys", label: "Create API key", method: "POST", path: "/api/v1/api-keys", auth: "apiKey",
    description: "The key is in the answer only: store it.",
    fields: [
      { name: "name", in: "body", kind: "text", required: true, label: "name", description: "What the key is for.", placeholder: "acme-retail backend" },
      { name: "tenant_id", in: "body", kind: "text", label: "tenant_id", description: "A tenant key: acts on this tenant only. Empty: a platform key (every tenant)." },
      { name: "can_publish", in: "body", kind: "boolean", label: "can_publish", description: "May it publish events? Default: yes for platform keys, no for tenant keys." },
      { name: "expires_at", in: "body", kind: "text", label: "expires_at", description: "An ISO-8601 time when the key stops working. Never, when empty.", placeholder: "2027-01-01T00:00:00Z" },
    ],
  },
  {
    id: "list-api-keys", operationId: "listApiKeys", scope: "platform", group: "API keys", label: "List API keys", method: "GET", path: "/api/v1/api-keys", auth: "apiKey",
    description: "Newest first, without secrets.",
    fields: [
      ...cursorQuery,
      { name: "tenant_id", in: "query", kind: "text", label: "tenant_id", description: "Only this tenant's keys." },
      { name: "kind", in: "query", kind: "select", options: ["api_key", "portal"], label: "kind", description: "portal: the tokens of portal links." },
    ],
  },
  {
    id: "current-api-key", operationId: "getCurrentApiKey", scope: "tenant", group: "API keys", label: "Who am I", method: "GET", path: "/api/v1/api-keys/current", auth: "apiKey",
    description: "The key making this request: platform or tenant, which tenant, whether it may publish, when it expires.", fields: [],
  },
  {
    id: "revoke-api-key", operationId: "revokeApiKey", scope: "platform", group: "API keys", label: "Revoke API key", method: "DELETE", path: "/api/v1/api-keys/:id", auth: "apiKey",
    description: "Refused from the very next request on.", fields: [id("id", "The key id (key_…).")],
  },
  {
    id: "create-user", operationId: "createUser", scope: "platform", group: "Users", label: "Create user", method: "POST", path: "/api/v1/users", auth: "apiKey",
    description: "An admin creates a user who can then log in and manage traffic sources.",
    fields: [
      { name: "email", in: "body", kind: "email", required: true, label: "email", description: "The user's email." },
      { name: "password", in: "body", kind: "password", required: true, label: "password", description: "8–256 characters." },
      { name: "name", in: "body", kind: "text", label: "name", description: "Optional display name (at most 200 characters)." },
    ],
  },
  {
    id: "list-users", operationId: "listUsers", scope: "platform", group: "Users", label: "List users", method: "GET", path: "/api/v1/users", auth: "apiKey",
    description: "The users who may sign in to manage traffic sources, with whether they are disabled.", fields: [...cursorQuery],
  },
  {
    id: "get-user", operationId: "getUser", scope: "platform", group: "Users", label: "Get user", method: "GET", path: "/api/v1/users/:id", auth: "apiKey",
    description: "One user.", fields: [userId()],
  },
  {
    id: "update-user", operationId: "updateUser", scope: "platform", group: "Users", label: "Update or disable user", method: "PATCH", path: "/api/v1/users/:id", auth: "apiKey",
    description: "Rename, or disable (no sign-in, sessions end) and enable again. Only the fields you fill are sent.",
    fields: [
      userId(),
      { name: "name", in: "body", kind: "text", label: "name", description: "A display name (at most 200 characters)." },
      { name: "disabled", in: "body", kind: "boolean", label: "disabled", description: "true disables the user; false enables them again." },
    ],
  },
  {
    id: "delete-user", operationId: "deleteUser", scope: "platform", group: "Users", label: "Delete user", method: "DELETE", path: "/api/v1/users/:id", auth: "apiKey",
    description: "Removes the user and their sessions.", fields: [userId()],
  },
  {
    id: "reset-user-password", operationId: "resetUserPassword", scope: "platform", group: "Users", label: "Reset user password", method: "POST", path: "/api/v1/users/:id/password", auth: "apiKey",
    description: "Sets a new password (generated and shown once when left empty); the user's sessions end.",
    fields: [userId(), { name: "password", in: "body", kind: "password", label: "password", description: "8–256 characters; empty: one is generated." }],
  },
  {
    id: "end-user-sessions", operationId: "endUserSessions", scope: "platform", group: "Users", label: "End user sessions", method: "DELETE", path: "/api/v1/users/:id/sessions", auth: "apiKey",
    description: "Every session token of the user stops working at once.", fields: [userId()],
  },
  {
    id: "login", operationId: "login", group: "Traffic sources", label: "Log in", method: "POST", path: "/auth/login", auth: "none",
    description: "Exchange email and password for a session token (kept in its own slot under Authentication; the API key stays).",
    fields: [
      { name: "email", in: "body", kind: "email", required: true, label: "email", description: "The user's email." },
      { name: "password", in: "body", kind: "password", required: true, label: "password", description: "The user's password." },
    ],
  },
  {
    id: "current-user", operationId: "getCurrentUser", group: "Traffic sources", label: "Current user", method: "GET", path: "/auth/me", auth: "user",
    description: "The user the session token belongs to.", fields: [],
  },
  {
    id: "logout", operationId: "logout", group: "Traffic sources", label: "Log out", method: "POST", path: "/auth/logout", auth: "user",
    description: "Ends the session: its token stops working at once.", fields: [],
  },
  {
    id: "change-own-password", operationId: "changeOwnPassword", group: "Traffic sources", label: "Change my password", method: "POST", path: "/auth/password", auth: "user",
    description: "The signed-in user changes their own password.",
    fields: [
      { name: "currentPassword", in: "body", kind: "password", required: true, label: "currentPassword", description: "The password now." },
      { name: "newPassword", in: "body", kind: "password", required: true, label: "newPassword", description: "8–256 characters." },
    ],
  },
  {
    id: "create-traffic-source", operationId: "createTrafficSource", group: "Traffic sources", label: "Create traffic source", method: "POST", path: "/traffic-sources", auth: "user",
    description: "Create a traffic source owned by the signed-in user.",
    fields: [{ name: "name", in: "body", kind: "text", required: true, label: "name", description: "A name for the source." }],
  },
  {
    id: "list-traffic-sources", operationId: "listTrafficSources", group: "Traffic sources", label: "List traffic sources", method: "GET", path: "/traffic-sources", auth: "user",
    description: "The signed-in user's traffic sources.", fields: [],
  },
  {
    id: "get-traffic-source", operationId: "getTrafficSource", group: "Traffic sources", label: "Get traffic source", method: "GET", path: "/traffic-sources/:id", auth: "user",
    description: "One traffic source of the signed-in user.", fields: [sourceId("id")],
  },
  {
    id: "create-traffic-webhook", operationId: "createTrafficSourceWebhook", group: "Traffic sources", label: "Create traffic-source webhook", method: "POST", path: "/webhooks/:trafficSourceId", auth: "user",
    description: "Register a Discord webhook for one severity level of a traffic source.",
    fields: [
      { name: "trafficSourceId", in: "path", kind: "text", required: true, label: "trafficSourceId", description: "Traffic source ID for the webhook." },
      { name: "type", in: "body", kind: "select", options: ["discord"], required: true, initial: "discord", label: "type", description: 'Webhook type. Accepted values: "discord".' },
      { name: "level", in: "body", kind: "select", options: ["fatal", "warning", "info"], required: true, initial: "fatal", label: "level", description: "Severity level." },
      { name: "value", in: "body", kind: "text", required: true, label: "value", description: "Discord webhook URL or channel ID.", placeholder: "123456789" },
    ],
  },
  {
    id: "raise-alert", operationId: "raiseAlert", group: "Traffic sources", label: "Raise alert", method: "POST", path: "/traffic-sources/:id/events", auth: "user",
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
    id: "list-alerts", operationId: "listAlerts", group: "Traffic sources", label: "List alerts", method: "GET", path: "/traffic-sources/:id/alerts", auth: "user",
    description: "The source's alerts, newest first; pass the last one's createdAt as before for older ones.",
    fields: [
      sourceId("id"),
      { name: "limit", in: "query", kind: "integer", label: "limit", description: "How many alerts." },
      { name: "before", in: "query", kind: "text", label: "before", description: "createdAt of the last alert of the previous page." },
    ],
  },
  {
    id: "get-alert", operationId: "getAlert", group: "Traffic sources", label: "Get alert", method: "GET", path: "/traffic-sources/:id/alerts/:alertId", auth: "user",
    description: "One alert: the Discord message it sent, and its delivery with every attempt.",
    fields: [sourceId("id"), { name: "alertId", in: "path", kind: "text", required: true, label: "alertId", description: "The alert id." }],
  },
  {
    id: "list-traffic-webhooks", operationId: "listTrafficSourceWebhooks", group: "Traffic sources", label: "List traffic-source webhooks", method: "GET", path: "/webhooks/:trafficSourceId", auth: "user",
    description: "The webhooks of one traffic source.",
    fields: [{ name: "trafficSourceId", in: "path", kind: "text", required: true, label: "trafficSourceId", description: "Traffic source ID." }],
  },
  {
    id: "update-traffic-webhook", operationId: "updateTrafficSourceWebhook", group: "Traffic sources", label: "Update traffic-source webhook", method: "PATCH", path: "/webhooks/:trafficSourceId/:id", auth: "user",
    description: "Partial update of type, level and value; a level that already has a webhook is 409.",
    fields: [
      sourceId("trafficSourceId"),
      { name: "id", in: "path", kind: "text", required: true, label: "id", description: "The webhook id." },
      { name: "type", in: "body", kind: "select", options: ["discord"], label: "type", description: 'Webhook type. Accepted values: "discord".' },
      { name: "level", in: "body", kind: "select", options: ["fatal", "warning", "info"], label: "level", description: "Severity level." },
      { name: "value", in: "body", kind: "text", label: "value", description: "Discord webhook URL or channel ID." },
    ],
  },
  {
    id: "delete-traffic-webhook", operationId: "deleteTrafficSourceWebhook", group: "Traffic sources", label: "Delete traffic-source webhook", method: "DELETE", path: "/webhooks/:trafficSourceId/:id", auth: "user",
    description: "Deletes the webhook and its pending alert deliveries.",
    fields: [sourceId("trafficSourceId"), { name: "id", in: "path", kind: "text", required: true, label: "id", description: "The webhook id." }],
  },
];

export function findOperation(operationId) {
  return OPERATIONS.find((op) => op.id === operationId);
}

/**
 * The operations a caller may use, as `GET /api/v1/api-keys/current` described it; every
 * operation while the key is unknown (the server's answer then says what is wrong). A tenant
 * key keeps its own webhooks and deliveries, and publishes only with can_publish.
 */
export function operationsFor(caller) {
  if (!caller || caller.tenant_id === null) return OPERATIONS;
  return OPERATIONS.filter((op) => op.scope === "tenant" || (op.scope === "publish" && caller.can_publish === true));
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
  if (shape === "object-or-null" && value === null) return { value };
  if ((shape === "object" || shape === "object-or-null") && (value === null || typeof value !== "object" || Array.isArray(value))) {
    return { error: shape === "object" ? 'Must be a JSON object, like {"team": "growth"}' : 'Must be a JSON object, like {"amount": {"$gte": 100}}, or null' };
  }
  if (shape === "array" && !Array.isArray(value)) return { error: 'Must be a JSON array, like [{"name": "region", "value": "eu"}]' };
  return { value };
}

function fieldValue(field, raw) {
  // A control that can be cleared: the text "null" sends JSON null.
  if (field.nullable && typeof raw === "string" && raw.trim() === "null") return { value: null, empty: false };
  switch (field.kind) {
    case "events":
      // Catalogue order, whatever order the boxes were ticked in.
      return { value: EVENT_CATALOGUE.filter((e) => raw.includes(e)), empty: raw.length === 0 };
    case "json": {
      const parsed = parseJsonField(raw, field.object ? (field.nullable ? "object-or-null" : "object") : field.array ? "array" : undefined);
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
 * @param {{bearer?: string, apiKey?: string, userToken?: string}} auth bearer and apiKey: the
 *   API key slots (surface A); userToken: the session token from Log in (surface B)
 * @param {string} origin the server's scheme, host and port (the page's location.origin)
 * @param {{tenantId?: string}} context tenantId: the tenant picked for a platform key; sent as
 *   tenant_id where the operation takes one, and nowhere for the default tenant, so a console
 *   that never picks a tenant builds exactly the requests of docs/api-guide.md
 * @returns {{ method: string, url: string, headers: [string,string][], body?: unknown,
 *   errors: Record<string,string>, missing: string[] }}
 *   errors: fields whose text cannot be sent (the preview leaves them out, Send is refused);
 *   missing: required path parameters still empty (Send is refused).
 */
export function buildRequest(op, values, auth, origin, context = {}) {
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
    else body[field.name] = result.value === undefined ? (field.kind === "events" ? [] : "") : result.value;
  }

  const tenantId = context.tenantId?.trim() ?? "";
  if (tenantId !== "" && tenantId !== DEFAULT_TENANT) {
    if (op.tenant === "body") body.tenant_id = tenantId;
    else if (op.tenant === "query") query.set("tenant_id", tenantId);
  }

  const headers = [];
  if (body !== undefined) headers.push(["Content-Type", "application/json"]);
  const bearer = auth.bearer?.trim() ?? "";
  const apiKey = auth.apiKey?.trim() ?? "";
  if (op.auth === "apiKey") {
    if (bearer !== "" || apiKey === "") headers.push(["Authorization", `Bearer ${bearer || TOKEN_PLACEHOLDER}`]);
    if (apiKey !== "") headers.push(["x-api-key", apiKey]);
  } else if (op.auth === "user") {
    // Surface B has its own slot: a session token from Log in, never the API key.
    const userToken = auth.userToken?.trim() ?? "";
    headers.push(["Authorization", `Bearer ${userToken || USER_TOKEN_PLACEHOLDER}`]);
  }
  headers.push(...extraHeaders);

  const search = query.toString();
  return { method: op.method, url: origin + path + (search ? `?${search}` : ""), headers, body, errors, missing };
}
