// Examples for the document's responses, built from the `examples` each schema declares in
// its model.ts (so they cannot drift from the shapes), and the error envelope per status.
import { INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE } from "../auth/user-auth";
import { MAX_BODY_BYTES } from "../http/body-parser";
import { INVALID_PARAMETERS, REASONS } from "../http/errors";
import { isJson, type Json, type SchemaRegistry } from "./openapi-schemas";

const BY_FORMAT: Record<string, string> = {
  "date-time": "2024-05-20T10:00:00.000Z",
  uuid: "0b9d1f5e-3c2a-4e8b-9f61-2d7c4a5b8e90",
  uri: "https://api.acme-retail.com/webhooks/links",
};

/** A value that matches `schema`: its first declared example, else one built from its parts. */
export function exampleOf(schema: unknown, registry: SchemaRegistry, depth = 0): unknown {
  if (!isJson(schema) || depth > 16) return null;
  if (typeof schema.$ref === "string") return exampleOf(registry[schema.$ref.split("/").pop()!], registry, depth + 1);
  if ("example" in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(union)) return exampleOf(union.find((s) => s.type !== "null") ?? union[0], registry, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const properties = isJson(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, exampleOf(child, registry, depth + 1)]));
    }
    case "array":
      return schema.items ? [exampleOf(schema.items, registry, depth + 1)] : [];
    case "string":
      return BY_FORMAT[schema.format as string] ?? "string";
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return true;
    case "null":
      return null;
  }
  return null;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  400: INVALID_PARAMETERS,
  401: "Authentication required. Please provide a valid API token",
  403: "You do not have permission to perform this action",
  404: "The requested resource was not found",
  409: "The request conflicts with the current state of the resource",
  413: `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes`,
  415: "The request body must be JSON, sent with Content-Type: application/json",
  429: "Too many requests. Try again in 60 seconds",
  500: "An unexpected error occurred. Quote request id 0b9d1f5e-3c2a-4e8b-9f61-2d7c4a5b8e90 when reporting it.",
  503: "The service is temporarily unavailable. Try again shortly",
};

export interface ErrorExampleContext {
  /** The route's own message for this status, if it declared one (errors({404: …})). */
  message?: string;
  /** The route needs a session token (surface B) rather than an API key. */
  session: boolean;
  /** For a 400: one field of the request and the message a bad value of it gets. */
  field?: { field: string; message: string };
}

export function errorExample(status: number, context: ErrorExampleContext): Json {
  let message = context.message ?? DEFAULT_MESSAGES[status] ?? REASONS[status] ?? "Error";
  if (status === 401 && context.session && context.message === undefined) message = INVALID_TOKEN_MESSAGE;
  let field = context.field;
  // A session route with nothing to validate answers 400 only for a missing token.
  if (status === 400 && context.session && !field && context.message === undefined) {
    message = MISSING_TOKEN_MESSAGE;
    field = { field: "authorization", message: "Is required" };
  }
  const body: Json = { error: REASONS[status] ?? "Error", message, code: status };
  if (status === 400 && field) body.details = [field];
  return body;
}
