// When the next attempt runs: the configured schedule with ±20 % jitter, so receivers that
// failed together do not get retried together; and a receiver's Retry-After, within limits.

export const JITTER = 0.2;

/**
 * Delay before attempt `attemptsMade + 1`, in ms, or null when the schedule is exhausted.
 * `schedule[i]` is the wait (seconds) after the (i+1)-th failed attempt.
 */
export function retryDelayMs(schedule: readonly number[], attemptsMade: number, random: () => number = Math.random): number | null {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.round(base * 1000 * factor);
}

/**
 * A receiver may ask for a longer wait (Retry-After), but never for a shorter one than we
 * planned, nor more than twice it, so one header cannot stall a delivery for days.
 */
export function applyRetryAfter(scheduledMs: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return scheduledMs;
  return Math.min(Math.max(retryAfterMs, scheduledMs), 2 * scheduledMs);
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unparsable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
