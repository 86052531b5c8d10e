// The one error path: our HttpErrors, Elysia's VALIDATION / PARSE / NOT_FOUND, and anything
// unexpected all leave as the envelope of DESIGN.md §4. Unexpected errors are logged with the
// request id and answered without a stack.
import { Elysia } from "elysia";
import { BUSY_RETRY_AFTER_SECONDS, isDatabaseBusy } from "../db/busy";
import type { Logger } from "../log";
import { HttpError, INVALID_PARAMETERS, type FieldError } from "./errors";
import { requestIdOf } from "./request-log";

interface ValueErrorLike {
  path: string;
  message: string;
  summary?: string;
  schema?: { error?: unknown };
}

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
    details.push({ field, message: custom ?? e.summary ?? e.message });
  }
  return details;
}

interface ValidationErrorLike {
  all: ValueErrorLike[];
  value: unknown;
  validator?: { Errors?: (value: unknown) => Iterable<ValueErrorLike> };
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
      errors.push({ path: e.path, message: e.message, schema: e.schema });
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
  return new Elysia({ name: "http/error-handler" }).onError({ as: "global" }, ({ code, error, request, set }) => {
    const response = respond(code, error, request);
    set.status = response.status; // so the request log line carries the real status
    return response;
  });

  function respond(code: string | number, error: unknown, request: Request): Response {
    // Elysia wraps whatever a parser throws in a ParseError; ours carry the real answer.
    if (code === "PARSE" && (error as Error).cause instanceof HttpError) error = (error as Error).cause;
    if (error instanceof HttpError) return envelope(error.status, error.toEnvelope(), error.headers);
    switch (code) {
      case "VALIDATION": {
        const on = (error as unknown as { type: string }).type ?? "body";
        const details = validationDetails(valueErrors(error), on);
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
