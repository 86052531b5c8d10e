// What a transport (http, discord) reports about one attempt. The loop turns it into the
// next state of the delivery row and one delivery_attempts log row.

export interface AttemptOutcome {
  /** HTTP status received, or null when no response arrived (DNS, connect, timeout, SSRF refusal). */
  statusCode: number | null;
  /** At most 4 KiB of the response body. */
  responseBody: string | null;
  /** Why the attempt failed without a usable response, in words. */
  error: string | null;
  durationMs: number;
  /** Delay the receiver asked for (Retry-After, Discord's retry_after), in milliseconds. */
  retryAfterMs?: number;
  /** The target is gone for good (HTTP 410): the loop disables it with this reason. */
  goneReason?: string;
}

export const MAX_LOGGED_RESPONSE_BYTES = 4096;

export function isSuccess(outcome: AttemptOutcome): boolean {
  return outcome.error === null && outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
}
