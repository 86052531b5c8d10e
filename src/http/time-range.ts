// `since` / `until` filters of the log lists: ISO-8601 instants, since inclusive, until exclusive.
import { t } from "elysia";
import { BadRequest, type FieldError } from "./errors";

export const TimeRangeQuery = {
  since: t.Optional(t.String({ description: "Only rows created at or after this ISO-8601 time.", examples: ["2026-12-01T00:00:00Z"] })),
  until: t.Optional(t.String({ description: "Only rows created before this ISO-8601 time.", examples: ["2026-12-02T00:00:00Z"] })),
};

export interface TimeRange {
  since?: number;
  until?: number;
}

/** Both bounds checked at once: every bad field is named in one answer. */
export function parseTimeRange(query: { since?: string; until?: string }, errors: FieldError[] = []): TimeRange {
  const range: TimeRange = {};
  for (const field of ["since", "until"] as const) {
    const raw = query[field];
    if (raw === undefined) continue;
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) errors.push({ field, message: "must be an ISO-8601 date-time" });
    else range[field] = ms;
  }
  if (errors.length) throw new BadRequest(errors);
  return range;
}
