// The OpenAPI 3.1 document served at /swagger/json: @elysiajs/openapi reads every route's
// schemas and `detail`; this file adds what the generator cannot express (servers, response
// headers, examples, the outgoing `webhooks`) and keeps only what the server accepts (JSON
// bodies). It is checked by `redocly lint` in test/openapi-document.test.ts.
import { toOpenAPISchema } from "@elysiajs/openapi/openapi";
import type { AnyElysia } from "elysia";
import { DOC_KEYS, ErrorBody } from "../http/schemas";
import { VERSION } from "../version";
import "./components";
import { errorExample, exampleOf } from "./openapi-examples";
import { cleanSchema, isJson, type Json, type SchemaRegistry } from "./openapi-schemas";
import { DeliveryExhaustedEvent, outgoingWebhooks, WebhookDisabledEvent, WebhookPayload } from "./outgoing-webhooks";

export const OPENAPI_VERSION = "3.1.1";
const JSON_TYPE = "application/json";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const TAGS = [
  { name: "Link webhooks", description: "Surface A: subscribe endpoints to link and uptime events (API key)." },
  { name: "Events", description: "Surface A: publish events, read them back with their exact payloads, and read the catalogue (API key)." },
  { name: "Deliveries", description: "Surface A: the delivery log, one delivery per event and webhook, with every attempt (API key)." },
  { name: "Tenants", description: "Surface A: your customers, each with its own webhooks, events and deliveries, and portal links for them (platform keys)." },
  { name: "API keys", description: "Surface A: platform and tenant keys: create (shown once), list, revoke (platform keys)." },
  { name: "Users", description: "Surface B users, created by an API key holder." },
  { name: "Authentication", description: "Surface B sign-in: a session token for the traffic-source routes." },
  { name: "Traffic sources", description: "Surface B: traffic sources and their alerts (session token)." },
  { name: "Traffic source webhooks", description: "Surface B: one Discord webhook per alert level of a traffic source (session token)." },
  { name: "Operations", description: "Liveness, readiness and Prometheus metrics, without authentication." },
  { name: "Outgoing webhooks", description: "What hookrelay sends to your endpoints." },
];

const SECURITY_SCHEMES = {
  bearerAuth: { type: "http", scheme: "bearer", description: "Admin API key as bearer token. Format: Bearer YOUR_ADMIN_KEY" },
  sessionToken: { type: "http", scheme: "bearer", description: "Session token from POST /auth/login (surface B)." },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "Alternative to the Authorization header for server-to-server scenarios.",
  },
};

const HEADERS = {
  RequestId: {
    description: "The request's id, on every answer: the caller's own `x-request-id` (up to 64 of `A-Za-z0-9_.-`) or a generated UUID. It is on the request's log lines; quote it when reporting a problem.",
    schema: { type: "string" },
    example: "0b9d1f5e-3c2a-4e8b-9f61-2d7c4a5b8e90",
  },
  RetryAfter: {
    description: "Seconds to wait before trying again.",
    schema: { type: "integer", minimum: 1 },
    example: 60,
  },
};
const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

function errorDescription(status: number, op: Operation, hasInput: boolean): string {
  const session = usesSession(op);
  switch (status) {
    case 400:
      if (session && !hasInput) return "No session token (`Authorization: Bearer <token>` from `POST /auth/login`).";
      return session
        ? "Invalid input (`details` lists every invalid field), or no session token."
        : "Invalid input: `details` lists every invalid field.";
    case 401:
      if (isPublic(op)) return "Wrong email or password (the same answer for both).";
      return session ? "The session token is invalid or has expired." : "No valid API key (`Authorization: Bearer <key>` or `x-api-key`).";
    case 403:
      return "The caller may not manage this resource.";
    case 404:
      return "No such resource.";
    case 409:
      return "The request conflicts with the resource's current state (see the operation's description).";
    case 413:
      return "The body is larger than 1 MiB.";
    case 415:
      return "The body was not sent as `application/json`.";
    case 422:
      return "The request is well-formed but cannot be processed.";
    case 429:
      return "Too many attempts: wait `Retry-After` seconds.";
    case 500:
      return "An unexpected failure, logged with the request id that the message quotes.";
    case 503:
      return "Temporarily unavailable: try again later (after `Retry-After` seconds when it is sent).";
  }
  return "An error, in the error envelope.";
}

type Operation = Json & { security?: Record<string, string[]>[] };
const usesSession = (op: Operation) => op.security?.some((s) => "sessionToken" in s) ?? false;
const isPublic = (op: Operation) => Array.isArray(op.security) && op.security.length === 0;

/** One field of the request body (or query) and the message a bad value of it gets, for a 400 example. */
function sampleFieldError(op: Operation, body: unknown): FieldError | undefined {
  const bodySchema = isJson(body) ? body : undefined;
  const candidates: [string, unknown][] = [
    ...Object.entries((bodySchema?.properties as Json | undefined) ?? {}),
    ...((op.parameters as Json[] | undefined) ?? []).map((p): [string, unknown] => [String(p.name), p.schema]),
  ];
  for (const [field, schema] of candidates) {
    if (isJson(schema) && typeof schema.error === "string") return { field, message: schema.error };
  }
  return undefined;
}

type FieldError = { field: string; message: string };

function documentResponse(status: number, response: Json, op: Operation, field: FieldError | undefined, registry: SchemaRegistry): Json {
  const content = (response.content ?? {}) as Record<string, Json>;
  const [mediaType, media] = Object.entries(content).find(([, m]) => isJson(m) && "schema" in m) ?? [];
  const raw = media?.schema as Json | undefined;
  // The error envelope, not just any 4xx/5xx body (the 503 of /ready is its own shape).
  const isError = raw?.[DOC_KEYS.componentName] === "Error";
  const description =
    (raw?.[DOC_KEYS.responseDescription] as string | undefined) ??
    (isError ? errorDescription(status, op, field !== undefined) : undefined) ??
    (raw?.description as string | undefined) ??
    (response.description as string);
  const headers: Json = { "x-request-id": headerRef("RequestId") };
  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const schema = cleanSchema(header.schema, registry) as Json;
    const { description: headerDescription, ...headerSchema } = schema;
    headers[name] = { description: headerDescription, schema: headerSchema, example: exampleOf(headerSchema, registry) };
  }
  if (status === 429 || status === 503) headers["Retry-After"] = headerRef("RetryAfter");
  const out: Json = { description, headers };
  if (mediaType && raw) {
    const schema = cleanSchema(raw, registry);
    const example = isError
      ? errorExample(status, { message: raw[DOC_KEYS.errorMessage] as string | undefined, session: usesSession(op), field })
      : exampleOf(schema, registry);
    out.content = { [mediaType]: { schema, example } };
  }
  return out;
}

interface RouteLike {
  method: string;
  path: string;
  hooks?: { body?: unknown };
}

/**
 * Body schemas by `METHOD /path/{param}`. The generator leaves a body's content empty when the
 * route has a custom parser (our global JSON parser, http/body-parser.ts), so they are read here.
 */
function bodySchemas(app: AnyElysia): Map<string, unknown> {
  const routes = (app as unknown as { getGlobalRoutes(): RouteLike[] }).getGlobalRoutes();
  const bodies = new Map<string, unknown>();
  for (const route of routes) {
    if (route.hooks?.body) bodies.set(`${route.method.toLowerCase()} ${route.path.replace(/:([^/]+)/g, "{$1}")}`, route.hooks.body);
  }
  return bodies;
}

function documentOperation(op: Operation, body: unknown, registry: SchemaRegistry): Json {
  const out: Json = { ...op };
  // Any route can fail unexpectedly; the error handler answers 500 in the envelope.
  const responses = { ...(op.responses as Record<string, Json>), "500": { description: "", content: { [JSON_TYPE]: { schema: ErrorBody } } } };
  const field = sampleFieldError(op, body);
  out.responses = Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [status, documentResponse(Number(status), response, op, field, registry)]),
  );
  if (Array.isArray(op.parameters)) {
    out.parameters = (op.parameters as Json[]).map((p) => {
      const schema = cleanSchema(p.schema, registry) as Json;
      return { ...p, description: p.description ?? schema.description, schema };
    });
  }
  // The server parses JSON only (http/body-parser.ts answers 415 to anything else).
  if (body) out.requestBody = { required: true, content: { [JSON_TYPE]: { schema: cleanSchema(body, registry) } } };
  return out;
}

export function buildApiDocument(app: AnyElysia): Json {
  const generated = toOpenAPISchema(app, { staticFile: true }, undefined, undefined, OPENAPI_VERSION);
  const registry: SchemaRegistry = {};
  const bodies = bodySchemas(app);
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries(generated.paths as Record<string, Json>)) {
    paths[path] = Object.fromEntries(
      Object.entries(item).map(([method, op]) => [method, METHODS.includes(method) ? documentOperation(op as Operation, bodies.get(`${method} ${path}`), registry) : op]),
    );
  }
  const webhooks = outgoingWebhooks(cleanSchema(WebhookPayload, registry) as Json, {
    disabled: cleanSchema(WebhookDisabledEvent, registry) as Json,
    exhausted: cleanSchema(DeliveryExhaustedEvent, registry) as Json,
  });
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: "hookrelay",
      version: VERSION,
      description:
        "Self-hosted webhook delivery: link-event webhooks (surface A, API key) and traffic-source alerts to Discord (surface B, session token). " +
        "Every error answer uses one envelope (`Error`); every answer carries `x-request-id`.",
    },
    servers: [{ url: "/", description: "The hookrelay that serves this document." }],
    tags: TAGS,
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    paths,
    webhooks,
    components: {
      schemas: Object.fromEntries(Object.entries(registry).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADERS,
    },
  };
}
