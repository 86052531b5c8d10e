// Response shapes common to every route, for OpenAPI and response validation.
import { t, type TSchema } from "elysia";

export const Pagination = t.Object({
  next_cursor: t.Union([t.String(), t.Null()], { description: "Pass it back as `cursor` for the next page; null on the last page." }),
  has_more: t.Boolean(),
});

/**
 * Keys read only by the OpenAPI document (src/docs/), never by validation: TypeBox and Elysia
 * ignore keywords they do not know, and the document drops these after using them.
 */
export const DOC_KEYS = {
  /** The schema is declared once under components.schemas with this name (src/docs/components.ts). */
  componentName: "x-component-name",
  /** The description of the response whose body this schema is. */
  responseDescription: "x-response-description",
  /** The message of the example of an error response. */
  errorMessage: "x-error-message",
  /** A schema the document shows instead of this one (see documentedAs). */
  documentedAs: "x-documented-as",
} as const;

/** A shallow copy of a TypeBox schema (symbol keys included) with more keys: validation is unchanged. */
function withDocKeys<T extends TSchema>(schema: T, keys: Record<string, unknown>): T {
  const copy = Object.create(Object.getPrototypeOf(schema), Object.getOwnPropertyDescriptors(schema)) as T;
  return Object.assign(copy, keys);
}

/** The schema of a response body that is a named schema as it is, with the response's description. */
export const described = <T extends TSchema>(schema: T, description: string): T =>
  withDocKeys(schema, { [DOC_KEYS.responseDescription]: description });

/**
 * Validates with `schema` but is documented as `documented`: a query parameter validated as a
 * string (so a 400 can name it) that clients should send as an integer.
 */
export const documentedAs = <T extends TSchema>(schema: T, documented: TSchema): T =>
  withDocKeys(schema, { [DOC_KEYS.documentedAs]: documented });

export const Success = <T extends TSchema>(data: T, description: string) =>
  t.Object({ success: t.Literal(true), data }, { description });

export const SuccessPage = <T extends TSchema>(item: T, description: string) =>
  t.Object({ success: t.Literal(true), data: t.Array(item), pagination: Pagination }, { description });

export const FieldErrorSchema = t.Object({
  field: t.String({ description: "The field's path: `url`, `events[1]`, `metadata`, `limit`…", examples: ["url"] }),
  message: t.String({ examples: ["must be an absolute http(s) URL of at most 2048 characters"] }),
});

export const ErrorBody = t.Object(
  {
    error: t.String({ description: "The HTTP reason phrase.", examples: ["Bad Request"] }),
    message: t.String({ description: "A sentence for humans.", examples: ["The request contains invalid parameters or malformed data"] }),
    code: t.Integer({ description: "The HTTP status.", examples: [400] }),
    details: t.Optional(t.Array(FieldErrorSchema, { description: "Every invalid field, when the request had any." })),
  },
  { description: "The error envelope shared by every route." },
);

/**
 * OpenAPI error responses for the statuses a route can answer. A trailing object gives the
 * message of a status's example where the route has its own (`{ 404: "No webhook with id …" }`).
 */
export function errors(...statuses: (number | Record<number, string>)[]): Record<number, typeof ErrorBody> {
  const messages = statuses.find((s): s is Record<number, string> => typeof s === "object") ?? {};
  return Object.fromEntries(
    statuses
      .filter((s): s is number => typeof s === "number")
      .map((s) => [s, messages[s] === undefined ? ErrorBody : withDocKeys(ErrorBody, { [DOC_KEYS.errorMessage]: messages[s] })]),
  );
}
