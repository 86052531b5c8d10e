// Every invalid field in one answer. Three layers find problems with a request's input: the body
// parser (numbers JSON cannot hold), the schema (types, lengths, enums) and the services (rules a
// schema cannot express: URL policy, distinct events, secrets, metadata size…). A route names its
// service checks with the `fieldChecks` option; whichever layer refuses the request first, the
// error handler asks the others too, merges their findings and lists them in request order.
import { Elysia } from "elysia";
import type { FieldError } from "./errors";

/** What a route's field checks may look at. They must accept input the schema would refuse. */
export interface CheckedInput {
  body: unknown;
  query: Record<string, unknown>;
  params: Record<string, string>;
  request: Request;
}

/** May read the store: the error handler waits for it. */
export type FieldCheck = (input: CheckedInput) => FieldError[] | Promise<FieldError[]>;

// Set on the request's context before validation, so the error handler finds it even when the
// schema refused the body and the handler never ran.
const FIELD_CHECK = Symbol("hookrelay.fieldCheck");

export const fieldChecks = new Elysia({ name: "http/field-checks" }).macro({
  fieldChecks(check: FieldCheck) {
    return {
      transform(context: object) {
        (context as { [FIELD_CHECK]?: FieldCheck })[FIELD_CHECK] = check;
      },
    };
  },
});

/** Several checks as one route's `fieldChecks`. */
export function allChecks(...checks: FieldCheck[]): FieldCheck {
  return async (input) => (await Promise.all(checks.map((check) => check(input)))).flat();
}

/** The route's own checks over the request, or none. A check that trips over odd input reports nothing. */
export async function routeFieldErrors(context: object): Promise<FieldError[]> {
  const check = (context as { [FIELD_CHECK]?: FieldCheck })[FIELD_CHECK];
  if (!check) return [];
  const { body, query, params, request } = context as Partial<CheckedInput>;
  try {
    return await check({ body, query: query ?? {}, params: params ?? {}, request: request! });
  } catch {
    return [];
  }
}

/** One entry per field, the first finding winning (the schema's, then the parser's, then the services'). */
export function mergeFieldErrors(...lists: FieldError[][]): FieldError[] {
  const seen = new Set<string>();
  const merged: FieldError[] = [];
  for (const list of lists) {
    for (const e of list) {
      if (seen.has(e.field)) continue;
      seen.add(e.field);
      merged.push(e);
    }
  }
  return merged;
}

/** `events[1]` → `events`, `data.a.b` → `data`, `limit` → `limit`. */
export function topLevelName(field: string): string {
  const end = field.search(/[.[]/);
  return end === -1 ? field : field.slice(0, end);
}

/**
 * Sorts problems by where their field stands in the request: `order` lists the top-level names
 * as sent (body keys, then query keys), then those declared but absent (missing fields). Ties keep
 * the order they were found in, so `events[0]` stays before `events[2]`.
 */
export function inRequestOrder(errors: FieldError[], order: string[]): FieldError[] {
  if (errors.length < 2) return errors;
  const rank = new Map<string, number>();
  for (const name of order) if (!rank.has(name)) rank.set(name, rank.size);
  const last = rank.size;
  return errors
    .map((e, i) => ({ e, i, r: rank.get(topLevelName(e.field)) ?? last }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.e);
}

/** The fields of a body for a route's checks: the body when it is a JSON object, else none. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Own keys of a JSON object, or none. */
export function keysOf(value: unknown): string[] {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}
