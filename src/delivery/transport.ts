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

/**
 * The first MAX_LOGGED_RESPONSE_BYTES of a response body as text of at most that many UTF-8
 * bytes. Decoding alone can exceed it: a character cut at the limit, or bytes that are not
 * UTF-8 (a binary body), each become U+FFFD, three bytes; so re-encode and cut at a boundary.
 */
export function loggableBody(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString("utf8", 0, Math.min(buf.length, MAX_LOGGED_RESPONSE_BYTES));
  if (Buffer.byteLength(text) <= MAX_LOGGED_RESPONSE_BYTES) return text;
  const encoded = Buffer.from(text, "utf8");
  let end = MAX_LOGGED_RESPONSE_BYTES;
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end--; // back to the start of the cut character
  return encoded.subarray(0, end).toString("utf8");
}

export function isSuccess(outcome: AttemptOutcome): boolean {
  return outcome.error === null && outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
}
