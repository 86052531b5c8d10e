// Turns one attempt's outcome into the next state of its delivery row (DESIGN.md §5).
import { applyRetryAfter, retryDelayMs } from "./backoff";
import type { ClaimedDelivery, AttemptResult } from "./queue";
import { isSuccess, type AttemptOutcome } from "./transport";

export interface SchedulePolicy {
  /** Seconds to wait after each failed attempt. */
  retrySchedule: number[];
  disableAfterHours: number;
  random?: () => number;
}

export function resultFor(
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  attemptedAt: number,
  policy: SchedulePolicy,
): AttemptResult {
  const base = {
    deliveryId: delivery.id,
    deliveryRowid: delivery.rowid,
    webhookId: delivery.webhookId,
    attemptedAt,
    durationMs: outcome.durationMs,
    statusCode: outcome.statusCode,
    responseBody: outcome.responseBody,
    error: outcome.error ?? (outcome.statusCode !== null && !isSuccess(outcome) ? `HTTP ${outcome.statusCode}` : null),
  };
  if (isSuccess(outcome)) return { ...base, kind: "delivered" };
  if (outcome.goneReason) return { ...base, kind: "gone", reason: outcome.goneReason };
  const attemptsMade = delivery.attempts + 1;
  const delay = retryDelayMs(policy.retrySchedule, attemptsMade, policy.random);
  const finishedAt = attemptedAt + outcome.durationMs;
  if (delay === null) {
    return { ...base, kind: "exhausted", disableIfSilentSince: finishedAt - policy.disableAfterHours * 3_600_000 };
  }
  return { ...base, kind: "retry", nextAttemptAt: finishedAt + applyRetryAfter(delay, outcome.retryAfterMs) };
}
