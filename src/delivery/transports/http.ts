// Sends one signed webhook request and reports what happened. Never throws: every failure is
// an AttemptOutcome the loop can log and schedule from. The request goes over our HTTP/1.1
// client (../http1), not fetch: see there for why.
import { resolvePublicTarget } from "../ssrf";
import { parseRetryAfter } from "../backoff";
import { signatureHeader, type SigningKey } from "../sign";
import { loggableBody, type AttemptOutcome } from "../transport";
import { post, type Endpoint, type ProxyRoute } from "../http1/client";
import { USER_AGENT } from "../../version";
import { BoundedMap } from "../../bounded-map";

export interface WebhookRequest {
  url: string;
  /** The event id: `webhook-id`, the same on every retry. */
  eventId: string;
  /** The exact bytes stored in events.body. */
  body: string;
  /** Signing keys of every active secret, newest first. */
  keys: SigningKey[];
  /** The webhook's own timeout (`timeout_ms`), instead of the options'. */
  timeoutMs?: number;
  /**
   * The webhook's own headers as request-head lines (`name: value\r\n` each, see `headerLines`),
   * sent after ours; the API refuses names that would replace ours (links/delivery-controls.ts).
   */
  extraHead?: string;
}

/**
 * Headers a webhook may not set, lower-case: what we send on every delivery (the receiver must be
 * able to trust that `webhook-*` and the body's framing are ours), and the hop-by-hop headers
 * (RFC 9110 §7.6.1) and `expect`, which describe the connection our HTTP client owns (a second
 * `content-length` or a `transfer-encoding` would change how the receiver reads the body).
 */
const RESERVED_HEADERS = new Set([
  "host", "content-length", "content-type", "user-agent",
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
  "expect",
]);

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith("webhook-");
}

/**
 * A webhook's own headers as request-head lines; empty when it has none. The API refuses
 * reserved names and line breaks (links/delivery-controls.ts); a stored value that has one
 * anyway is left out rather than allowed to split the head or replace a header of ours.
 */
export function headerLines(headers: Record<string, string> | null): string {
  if (headers === null) return "";
  let lines = "";
  for (const name in headers) {
    const value = headers[name]!;
    if (isReservedHeader(name) || /[\r\n:]/.test(name) || /[\r\n]/.test(value)) continue;
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

export interface HttpTransportOptions {
  /** Per attempt, DNS lookup included, unless the request has its own. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Send through this CONNECT proxy (DELIVERY_PROXY_URL); the target is still checked here. */
  proxy?: ProxyRoute;
}

const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

/** A webhook URL taken apart once: the same few URLs are sent to thousands of times. */
interface ParsedTarget {
  /** Bare host name or address (no IPv6 brackets). */
  hostname: string;
  port: number;
  /** `POST <path> HTTP/1.1` and `host:`, the part of the head that depends on the URL. */
  requestLine: string;
  /** Where to connect by name, used when private targets are allowed (no SSRF check). */
  byName: Endpoint;
}

const TARGET_CACHE_MAX = 10_000;
const targets = new BoundedMap<string, ParsedTarget | { invalid: string }>(TARGET_CACHE_MAX);

function parseTarget(url: string): ParsedTarget | { invalid: string } {
  let target = targets.get(url);
  if (target) return target;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported scheme ${u.protocol}`);
    const https = u.protocol === "https:";
    const hostname = u.hostname.replace(/^\[|\]$/g, "");
    const port = u.port ? Number(u.port) : https ? 443 : 80;
    target = {
      hostname,
      port,
      requestLine: `POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\n`,
      byName: { hostname, port, tls: https ? { serverName: hostname } : undefined },
    };
  } catch (e) {
    target = { invalid: `Invalid webhook URL: ${(e as Error).message}` };
  }
  targets.set(url, target);
  return target;
}

/**
 * Where to connect with the SSRF guard on: the host is resolved and checked here and the
 * connection goes to that very address (the Host header and TLS server name keep the original
 * name, so virtual hosting and certificate checks still see it). Connecting by name after
 * checking would let a second DNS answer (rebinding) point the request somewhere private.
 */
async function publicEndpoint(target: ParsedTarget): Promise<Endpoint | { refused: string }> {
  const resolved = await resolvePublicTarget(target.hostname);
  if ("refused" in resolved) return resolved;
  return { hostname: resolved.address, port: target.port, tls: target.byName.tls };
}

function failed(error: string, started: number): AttemptOutcome {
  return { statusCode: null, responseBody: null, error, durationMs: Math.round(performance.now() - started) };
}

function timeOut(reject: (e: Error) => void, ms: number): void {
  reject(new Error(`Timed out after ${ms} ms`));
}

/** The DNS lookup counts against the attempt's timeout too. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(timeOut, ms, reject, ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });
}

// The hot path of the engine: one call per attempt, so no per-call closures or object spreads.
export async function sendWebhook(request: WebhookRequest, options: HttpTransportOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const timeoutMs = request.timeoutMs ?? options.timeoutMs;
  const target = parseTarget(request.url);
  if ("invalid" in target) return failed(target.invalid, started);
  try {
    const checked = options.allowPrivate ? target.byName : await withDeadline(publicEndpoint(target), timeoutMs);
    if ("refused" in checked) return failed(checked.refused, started);
    const endpoint = options.proxy ? { ...checked, proxy: options.proxy } : checked;
    const timestamp = Math.floor(Date.now() / 1000);
    const head =
      target.requestLine +
      "content-type: application/json\r\n" +
      `user-agent: ${USER_AGENT}\r\n` +
      `webhook-id: ${request.eventId}\r\n` +
      `webhook-timestamp: ${timestamp}\r\n` +
      `webhook-signature: ${signatureHeader(request.keys, request.eventId, timestamp, request.body)}\r\n` +
      (request.extraHead ?? "");
    const remainingMs = Math.max(1, timeoutMs - Math.round(performance.now() - started));
    const res = await post({ endpoint, head, body: request.body }, remainingMs);
    const status = res.status;
    const outcome: AttemptOutcome = { statusCode: status, responseBody: loggableBody(res.body), error: null, durationMs: Math.round(performance.now() - started) };
    if (status >= 300 && status < 400) {
      outcome.error = `Redirect (${status} to ${res.location ?? "no location"}) not followed`;
    } else if (status === 410) {
      outcome.goneReason = "The endpoint answered 410 Gone";
    } else if (RETRY_AFTER_STATUSES.has(status)) {
      outcome.retryAfterMs = parseRetryAfter(res.retryAfter);
    }
    return outcome;
  } catch (e) {
    // The deadline of a DNS lookup and of the exchange say "Timed out after <timeout> ms" alike.
    const message = (e as Error).message ?? String(e);
    return failed(message.startsWith("Timed out after") ? `Timed out after ${timeoutMs} ms` : message, started);
  }
}
