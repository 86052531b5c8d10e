// The rules of a webhook's delivery controls that its schema cannot express (model.ts declares
// the shapes and bounds): a retry schedule's total, and which request headers a webhook may add.
// docs/architecture.md, "Per-webhook delivery controls".
import { isReservedHeader } from "../delivery/transports/http";
import type { FieldError } from "../http/errors";
import { MAX_HEADER_NAME_LENGTH, MAX_HEADER_VALUE_LENGTH, MAX_HEADERS, MAX_RETRY_SCHEDULE_TOTAL_SECONDS } from "./model";

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Printable ASCII and inner spaces: no CR or LF (they would start a header of their own), no
 * other control characters, nothing a receiver would trim. ASCII also keeps the request head's
 * byte count equal to its length (http1/client.ts).
 */
const VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

export const HEADER_NAME_ERROR = `Must be a header name of 1 to ${MAX_HEADER_NAME_LENGTH} token characters (letters, digits and !#$%&'*+-.^_\`|~)`;
export const RESERVED_HEADER_ERROR = "Is set by hookrelay on every delivery (or describes the connection) and cannot be set per webhook";
export const HEADER_VALUE_ERROR =
  `Must be a string of at most ${MAX_HEADER_VALUE_LENGTH} printable ASCII characters, without line breaks or surrounding spaces`;

interface ControlFields {
  retry_schedule?: unknown;
  headers?: unknown;
}

/** What is wrong with the controls of a create or update body, one entry per field (`headers.<name>` for each header). */
export function deliveryControlErrors(input: ControlFields): FieldError[] {
  const problems: FieldError[] = [];
  const schedule = input.retry_schedule;
  if (Array.isArray(schedule) && schedule.every((d) => typeof d === "number")) {
    const total = schedule.reduce((sum: number, d: number) => sum + d, 0);
    if (total > MAX_RETRY_SCHEDULE_TOTAL_SECONDS) {
      problems.push({ field: "retry_schedule", message: `The delays must add up to at most ${MAX_RETRY_SCHEDULE_TOTAL_SECONDS} seconds (14 days), not ${total}` });
    }
  }
  problems.push(...headerErrors(input.headers));
  return problems;
}

function headerErrors(headers: unknown): FieldError[] {
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) return [];
  const problems: FieldError[] = [];
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) problems.push({ field: "headers", message: `Must hold at most ${MAX_HEADERS} headers, not ${names.length}` });
  const seen = new Set<string>();
  for (const name of names) {
    const field = `headers.${name}`;
    const value = (headers as Record<string, unknown>)[name];
    const lower = name.toLowerCase();
    if (name.length > MAX_HEADER_NAME_LENGTH || !TOKEN.test(name)) problems.push({ field, message: HEADER_NAME_ERROR });
    else if (isReservedHeader(name)) problems.push({ field, message: RESERVED_HEADER_ERROR });
    else if (seen.has(lower)) problems.push({ field, message: "Is given twice: header names are case-insensitive" });
    else if (typeof value !== "string" || value.length > MAX_HEADER_VALUE_LENGTH || !VALUE.test(value)) problems.push({ field, message: HEADER_VALUE_ERROR });
    seen.add(lower);
  }
  return problems;
}

/** The headers to store: none for null or `{}`; undefined (not given) stays undefined. */
export function storedHeaders(headers: Record<string, string> | null | undefined): Record<string, string> | null | undefined {
  if (headers === undefined) return undefined;
  return headers === null || Object.keys(headers).length === 0 ? null : headers;
}
