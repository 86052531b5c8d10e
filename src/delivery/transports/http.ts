// Sends one signed webhook request and reports what happened. Never throws: every failure is
// an AttemptOutcome the loop can log and schedule from.
import { resolvePublicTarget } from "../ssrf";
import { parseRetryAfter } from "../backoff";
import { signatureHeader } from "../sign";
import { loggableBody, MAX_LOGGED_RESPONSE_BYTES, type AttemptOutcome } from "../transport";
import { USER_AGENT } from "../../version";

export interface WebhookRequest {
  url: string;
  /** The event id: `webhook-id`, the same on every retry. */
  eventId: string;
  /** The exact bytes stored in events.body. */
  body: string;
  /** Signing keys of every active secret, newest first. */
  keys: Buffer[];
}

export interface HttpTransportOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

interface Target {
  url: string;
  hostHeader?: string;
  serverName?: string;
}

/**
 * Where to connect. With the SSRF guard on, the host is resolved and checked here and the
 * request goes to that very address (Host header and TLS SNI keep the original name, so
 * virtual hosting and certificate checks still see it). Fetching by name after checking
 * would let a second DNS answer (rebinding) point the request somewhere private.
 */
async function resolveTarget(url: URL, allowPrivate: boolean): Promise<Target | { refused: string }> {
  if (allowPrivate) return { url: url.href };
  const resolved = await resolvePublicTarget(url.hostname);
  if ("refused" in resolved) return resolved;
  const pinned = new URL(url.href);
  pinned.hostname = resolved.family === 6 ? `[${resolved.address}]` : resolved.address;
  const isLiteral = pinned.hostname === url.hostname;
  return {
    url: pinned.href,
    hostHeader: isLiteral ? undefined : url.host,
    serverName: isLiteral || url.protocol !== "https:" ? undefined : url.hostname,
  };
}

/** At most 4 KiB of the body; stops reading (and drops the connection) past that. */
async function readCapped(res: Response): Promise<string> {
  const header = res.headers.get("content-length");
  const length = header === null ? NaN : Number(header);
  // Small declared bodies (the usual answer) are read whole, which keeps the connection reusable.
  if (length <= MAX_LOGGED_RESPONSE_BYTES) {
    const text = await res.text();
    // Bytes that are not UTF-8 decode to 3-byte U+FFFD: a small binary body can still be too long.
    return Buffer.byteLength(text) <= MAX_LOGGED_RESPONSE_BYTES ? text : loggableBody(Buffer.from(text));
  }
  if (length <= 4 * MAX_LOGGED_RESPONSE_BYTES) return loggableBody(Buffer.from(await res.arrayBuffer()));
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= MAX_LOGGED_RESPONSE_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  reader.cancel().catch(() => {});
  return loggableBody(Buffer.concat(chunks));
}

function timeOut(controller: AbortController): void {
  controller.abort(new DOMException("The attempt timed out", "TimeoutError"));
}

function failed(error: string, started: number): AttemptOutcome {
  return { statusCode: null, responseBody: null, error, durationMs: Math.round(performance.now() - started) };
}

// The hot path of the engine: one call per attempt, so no per-call closures or object spreads.
export async function sendWebhook(request: WebhookRequest, options: HttpTransportOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  // A timer we clear when the attempt ends: AbortSignal.timeout's timers cannot be cancelled,
  // so at thousands of attempts a second they would pile up for a whole timeout each.
  const controller = new AbortController();
  const signal = controller.signal;
  const timer = setTimeout(timeOut, options.timeoutMs, controller);
  try {
    let url = request.url;
    let target: Target | undefined;
    if (!options.allowPrivate) {
      // The DNS lookup counts against the timeout too.
      const resolved = await abortable(resolveTarget(new URL(request.url), false), signal);
      if ("refused" in resolved) return failed(resolved.refused, started);
      target = resolved;
      url = resolved.url;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": request.eventId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(request.keys, request.eventId, timestamp, request.body),
    };
    const init: RequestInit & { tls?: { serverName: string } } = { method: "POST", headers, body: request.body, redirect: "manual", signal };
    if (target?.hostHeader) headers.host = target.hostHeader;
    if (target?.serverName) init.tls = { serverName: target.serverName };
    const res = await fetch(url, init);
    const responseBody = await readCapped(res);
    const status = res.status;
    const outcome: AttemptOutcome = { statusCode: status, responseBody, error: null, durationMs: Math.round(performance.now() - started) };
    if (status >= 300 && status < 400) {
      outcome.error = `Redirect (${status} to ${res.headers.get("location") ?? "no location"}) not followed`;
    } else if (status === 410) {
      outcome.goneReason = "The endpoint answered 410 Gone";
    } else if (RETRY_AFTER_STATUSES.has(status)) {
      outcome.retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    }
    return outcome;
  } catch (e) {
    if (signal.aborted) return failed(`Timed out after ${options.timeoutMs} ms`, started);
    return failed(describeError(e), started);
  } finally {
    clearTimeout(timer);
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (error) => (signal.removeEventListener("abort", onAbort), reject(error)),
    );
  });
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as Error & { code?: string }).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
