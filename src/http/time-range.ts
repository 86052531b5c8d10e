// `since` / `until` filters of the log lists: ISO-8601 instants, since inclusive, until exclusive.
import { t } from "elysia";
import { rejectInvalidFields, type FieldError } from "./errors";

export const TimeRangeQuery = {
  since: t.Optional(t.String({ description: "Only rows created at or after this ISO-8601 time.", examples: ["2026-12-01T00:00:00Z"] })),
  until: t.Optional(t.String({ description: "Only rows created before this ISO-8601 time.", examples: ["2026-12-02T00:00:00Z"] })),
};

export interface TimeRange {
  since?: number;
  until?: number;
}

interface TimeRangeInput {
  since?: unknown;
  until?: unknown;
}

function instantOf(raw: unknown): number | undefined {
  return raw === undefined ? undefined : typeof raw === "string" ? Date.parse(raw) : NaN;
}

/** What is wrong with `since` and `until`, both checked. */
export function timeRangeFieldErrors(query: TimeRangeInput): FieldError[] {
  const problems: FieldError[] = [];
  for (const field of ["since", "until"] as const) {
    if (Number.isNaN(instantOf(query[field]))) problems.push({ field, message: "Must be an ISO-8601 date-time" });
  }
  return problems;
}

/** The `fieldChecks` of a route filtering by time, in its query or its body. */
export const timeRangeChecks = ({ body, query }: { body: unknown; query: TimeRangeInput }): FieldError[] =>
  timeRangeFieldErrors(query.since !== undefined || query.until !== undefined ? query : ((body ?? {}) as TimeRangeInput));

export function parseTimeRange(query: TimeRangeInput): TimeRange {
  rejectInvalidFields(timeRangeFieldErrors(query));
  return { since: instantOf(query.since), until: instantOf(query.until) };
}
