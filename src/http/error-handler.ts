// The one error path: our HttpErrors, Elysia's VALIDATION / PARSE / NOT_FOUND, and anything
// unexpected all leave as the envelope of docs/api-guide.md#errors. Unexpected errors are logged with the
// request id and answered without a stack. A 400 lists every invalid field at once, in the order
// of the request (http/field-errors.ts).
import { Elysia } from "elysia";
import { BUSY_RETRY_AFTER_SECONDS, isDatabaseBusy } from "../db/busy";
import type { Logger } from "../log";
import { parserFieldErrors } from "./body-parser";
import { BadRequest, HttpError, INVALID_PARAMETERS, type FieldError } from "./errors";
import { inRequestOrder, keysOf, mergeFieldErrors, routeFieldErrors } from "./field-errors";
import { requestIdOf } from "./request-log";

interface ValueErrorLike {
  type?: number;
  path: string;
  message: string;
  summary?: string;
  schema?: { error?: unknown };
}

/** TypeBox's ValueErrorType.ObjectRequiredProperty: a required field is absent. */
const REQUIRED_PROPERTY = 45;
const REQUIRED_MESSAGE = "Is required";

/** `/events/1` → `events[1]`, `/metadata/a` → `metadata.a`, `` → `body`. */
export function fieldPath(pointer: string, root = "body"): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (parts.length === 0) return root;
  return parts.reduce((acc, part, i) => (/^\d+$/.test(part) ? `${acc}[${part}]` : i === 0 ? part : `${acc}.${part}`), "");
}

function validationDetails(errors: ValueErrorLike[], on: string): FieldError[] {
  const seen = new Set<string>();
  const details: FieldError[] = [];
  for (const e of errors) {
    const field = fieldPath(e.path, on === "body" ? "body" : on);
    if (seen.has(field)) continue;
    seen.add(field);
    const custom = typeof e.schema?.error === "string" ? e.schema.error : undefined;
    details.push({ field, message: e.type === REQUIRED_PROPERTY ? REQUIRED_MESSAGE : (custom ?? e.summary ?? e.message) });
  }
  return details;
}

interface ValidationErrorLike {
  type?: string;
  all: ValueErrorLike[];
  value: unknown;
  validator?: { schema?: { properties?: object }; Errors?: (value: unknown) => Iterable<ValueErrorLike> };
}

/** What the error handler reads of the request's context. */
interface RequestContext {
  request: Request;
  body?: unknown;
  query?: Record<string, unknown>;
}

/** Top-level names in the order the request gave them: body keys, then query parameters. */
function requestOrder(context: RequestContext, declared: string[] = []): string[] {
  return [...keysOf(context.body), ...keysOf(context.query), ...declared];
}

/**
 * The schema refused part of the request: add what the parser and the route's own checks find
 * in the rest of it, so one answer lists every invalid field.
 */
async function validationFailure(error: ValidationErrorLike, context: RequestContext): Promise<FieldError[]> {
  const on = error.type ?? "body";
  const schemaErrors = validationDetails(valueErrors(error), on);
  const merged = mergeFieldErrors(schemaErrors, parserFieldErrors(context.request, context.body), await routeFieldErrors(context));
  return inRequestOrder(merged, requestOrder(context, keysOf(error.validator?.schema?.properties)));
}

/**
 * Elysia's `all` adds summaries that interpolate the offending value into a string; for a value
 * such as `{"toString": 1}` that throws (TypeError: No default value), so fall back to the
 * validator's own errors, which never stringify the value.
 */
function valueErrors(error: unknown): ValueErrorLike[] {
  const validation = error as ValidationErrorLike;
  try {
    return validation.all;
  } catch {
    const errors: ValueErrorLike[] = [];
    for (const e of validation.validator?.Errors?.(validation.value) ?? []) {
      errors.push({ type: e.type, path: e.path, message: e.message, schema: e.schema });
      if (errors.length >= 64) break;
    }
    return errors;
  }
}

function envelope(status: number, body: object, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** `onBusy` hears of every request that failed on a database write lock held elsewhere. */
export function errorHandler(logger: Logger, onBusy?: () => void) {
  return new Elysia({ name: "http/error-handler" }).onError({ as: "global" }, async (context) => {
    const { code, error, set } = context;
    const response = await respond(code, error, context as unknown as RequestContext);
    set.status = response.status; // so the request log line carries the real status
    return response;
  });

  async function respond(code: string | number, error: unknown, context: RequestContext): Promise<Response> {
    const { request } = context;
    // Elysia wraps whatever a parser throws in a ParseError; ours carry the real answer.
    if (code === "PARSE" && (error as Error).cause instanceof HttpError) error = (error as Error).cause;
    if (error instanceof BadRequest && error.details) {
      // Found by a service, a check in the handler (the tenant) or the parser gate: add what the
      // route's own checks find in the rest of the request, and list them as it gave the fields.
      const merged = mergeFieldErrors(error.details, await routeFieldErrors(context));
      if (merged.length > 1) return envelope(400, { ...error.toEnvelope(), details: inRequestOrder(merged, requestOrder(context)) });
    }
    if (error instanceof HttpError) return envelope(error.status, error.toEnvelope(), error.headers);
    switch (code) {
      case "VALIDATION": {
        const details = await validationFailure(error as unknown as ValidationErrorLike, context);
        return envelope(400, { error: "Bad Request", message: INVALID_PARAMETERS, code: 400, details });
      }
      case "PARSE":
        return envelope(400, {
          error: "Bad Request",
          message: INVALID_PARAMETERS,
          code: 400,
          details: [{ field: "body", message: "The body could not be parsed" }],
        });
      case "NOT_FOUND":
        return envelope(404, { error: "Not Found", message: "The requested route does not exist", code: 404 });
      case "INVALID_COOKIE_SIGNATURE":
      case "INVALID_FILE_TYPE":
        return envelope(400, { error: "Bad Request", message: INVALID_PARAMETERS, code: 400 });
    }
    const requestId = requestIdOf(request);
    if (isDatabaseBusy(error)) {
      // Another process held the write lock too long (db/busy.ts): nothing was written, try again.
      onBusy?.();
      logger.warn("database busy", { request_id: requestId, error: (error as Error).message });
      const seconds = BUSY_RETRY_AFTER_SECONDS;
      return envelope(
        503,
        { error: "Service Unavailable", message: `The database is busy. Retry in ${seconds} second${seconds === 1 ? "" : "s"}`, code: 503 },
        { "retry-after": String(seconds) },
      );
    }
    logger.error("unhandled error", {
      request_id: requestId,
      code,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return envelope(500, {
      error: "Internal Server Error",
      message: `An unexpected error occurred. Quote request id ${requestId} when reporting it.`,
      code: 500,
    });
  }
}
