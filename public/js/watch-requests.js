// What the Deliveries and Events views send, as plain values for operations.js: the filters a
// user picked turned into an operation's field values, and a 400 answer's field errors matched
// to the fields of the form that sent it. No DOM here, so `bun test` checks it.

/** A page of the views' lists. */
export const PAGE_SIZE = 25;

/**
 * A `datetime-local` control's value (local wall time, no zone) as an ISO-8601 instant;
 * "" when empty or unreadable (the control only produces readable values).
 */
export function localTimeToIso(value) {
  if (typeof value !== "string" || value.trim() === "") return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

const timeRange = (filters) => ({ since: localTimeToIso(filters.since), until: localTimeToIso(filters.until) });

/**
 * Values of `search-deliveries` for the Deliveries view's filters.
 * @param {{status?: string, webhookId?: string, eventType?: string, eventId?: string, since?: string, until?: string}} filters
 */
export function deliverySearchValues(filters, cursor = "", limit = PAGE_SIZE) {
  return {
    status: filters.status ?? "",
    webhook_id: filters.webhookId ?? "",
    event_type: filters.eventType ?? "",
    event_id: filters.eventId ?? "",
    ...timeRange(filters),
    limit: String(limit),
    cursor,
  };
}

/**
 * Values of `retry-deliveries` for "Retry all failed matching these filters": the same
 * filters, always the failed deliveries, and the cursor of the previous batch.
 */
export function bulkRetryValues(filters, cursor = "") {
  const { limit: _limit, ...search } = deliverySearchValues(filters, cursor);
  return { ...search, status: "failed" };
}

/** Values of `list-events` for the Events view's filters. */
export function eventSearchValues(filters, cursor = "", limit = PAGE_SIZE) {
  return { type: filters.type ?? "", ...timeRange(filters), limit: String(limit), cursor };
}

/**
 * The envelope's `details[]` of a 400 answer, by the name of the operation field each one
 * belongs to (`events[1]` → events, `data.amount` → data); details naming no field of the
 * operation are left to the JSON shown in the Response panel.
 * @returns {Record<string, string>} field name → message (several joined with "; ")
 */
export function fieldErrorsFromAnswer(operation, result) {
  if (!("status" in result) || result.status !== 400) return {};
  const details = result.json?.details;
  if (!Array.isArray(details)) return {};
  const names = new Set(operation.fields.map((field) => field.name));
  const found = {};
  for (const detail of details) {
    if (typeof detail?.field !== "string" || typeof detail.message !== "string") continue;
    const name = detail.field.split(/[.[]/)[0];
    if (!names.has(name)) continue;
    // Where the path goes deeper than the field, it says where inside the field.
    const message = detail.field === name ? detail.message : `${detail.field}: ${detail.message}`;
    found[name] = found[name] ? `${found[name]}; ${message}` : message;
  }
  return found;
}

/** Whether retrying re-sends something the receiver already acknowledged (asks first). */
export const needsRetryConfirmation = (delivery) => delivery?.status === "delivered";
