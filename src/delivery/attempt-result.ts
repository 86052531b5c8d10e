// Turns one attempt's outcome into the next state of its delivery row (docs/architecture.md).
import { applyRetryAfter, retryDelayMs } from "./backoff";
import type { AttemptResult, ClaimedDelivery } from "../db/store";
import type { OutcomeKind } from "./metrics";
import { isSuccess, type AttemptOutcome } from "./transport";

export interface RetryPolicy {
  /** Seconds to wait after each failed attempt. */
  retrySchedule: number[];
  disableAfterHours: number;
  random?: () => number;
}

/**
 * `schedule` is the delivery's retry schedule: its webhook's own `retry_schedule` when it has one
 * (the claimed WebhookTarget's), else the policy's. The delay after the nth failed attempt, its
 * jitter, the Retry-After clamp and when the attempts run out all follow it.
 */
export function resultFor(
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  attemptedAt: number,
  policy: RetryPolicy,
  schedule: readonly number[] = policy.retrySchedule,
): AttemptResult & { kind: OutcomeKind } {
  const base = {
    deliveryId: delivery.id,
    lease: delivery.lease,
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
  const delay = retryDelayMs(schedule, attemptsMade, policy.random);
  const finishedAt = attemptedAt + outcome.durationMs;
  if (delay === null) {
    return {
      ...base, kind: "exhausted", disableIfSilentSince: finishedAt - policy.disableAfterHours * 3_600_000,
      silenceReason: `No successful delivery for ${policy.disableAfterHours} hours`,
    };
  }
  const wait =
    delivery.transport === "discord" ? honourDiscordRetryAfter(delay, outcome.retryAfterMs) : applyRetryAfter(delay, outcome.retryAfterMs);
  return { ...base, kind: "retry", nextAttemptAt: finishedAt + wait };
}

/** Longest wait a Discord rate limit may impose on one alert. */
export const DISCORD_RETRY_AFTER_CAP_MS = 3_600_000;

/**
 * Discord's `retry_after` is honoured in full (docs/api-guide.md, surface B): retrying sooner only earns another
 * 429 and burns an attempt. Unlike a webhook receiver's Retry-After it is not clamped to 2× the
 * schedule, only capped at an hour so a bogus value cannot park an alert for days.
 */
function honourDiscordRetryAfter(scheduledMs: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return scheduledMs;
  return Math.max(scheduledMs, Math.min(retryAfterMs, DISCORD_RETRY_AFTER_CAP_MS));
}
