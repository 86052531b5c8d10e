// Per request: an id (echoed as x-request-id), one log line, the HTTP metrics (by route
// pattern) and, when tracing is on, a server span. Health, readiness and metrics requests are
// logged at debug: scrapers and orchestrators call them every few seconds.
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { HttpMetrics } from "../metrics/http-metrics";
import { validTraceparent, type RequestSpan, type Tracing } from "../tracing/tracing";

interface RequestInfo {
  id: string;
  startedAt: number;
  /** Ids a handler found out (event_id, delivery_id, tenant_id…), for the request's log line. */
  fields?: Record<string, string>;
  span?: RequestSpan;
  /** Set once the metrics have counted the request. */
  counted?: boolean;
}

const info = new WeakMap<Request, RequestInfo>();

/** Routes that are logged at debug, not info. */
const QUIET_ROUTES = new Set(["/health", "/ready", "/metrics"]);

export function requestIdOf(request: Request): string {
  return info.get(request)?.id ?? "unknown";
}

/**
 * Adds an id to the request's log line (and span): `event_id` on a publish, `delivery_id` on a
 * retry. `tenant_id` belongs here too, set by whatever resolves the caller's tenant.
 */
export function annotateRequest(request: Request, key: "event_id" | "delivery_id" | "webhook_id" | "tenant_id", value: string): void {
  const entry = info.get(request);
  if (!entry) return;
  (entry.fields ??= {})[key] = value;
  entry.span?.setAttribute(`hookrelay.${key}`, value);
}

/**
 * The W3C trace context to store with an event published by this request: this request's span
 * when tracing is on, else the caller's own `traceparent` (so a process that traces can still
 * continue the caller's trace when it delivers), else null.
 */
export function requestTraceparent(request: Request): string | null {
  const span = info.get(request)?.span;
  if (span) return span.traceparent();
  return validTraceparent(request.headers.get("traceparent"));
}

export interface RequestLogDeps {
  logger: Logger;
  metrics: HttpMetrics;
  tracing?: Tracing;
}

export function requestLog({ logger, metrics, tracing }: RequestLogDeps) {
  function count(request: Request, route: string | undefined, status: number): void {
    const entry = info.get(request);
    if (!entry || entry.counted) return;
    entry.counted = true;
    metrics.record(request.method, route, status, (performance.now() - entry.startedAt) / 1000);
    entry.span?.end(route, status);
  }

  const plugin = new Elysia({ name: "http/request-log" })
    .onRequest(({ request, set }) => {
      const id = request.headers.get("x-request-id")?.slice(0, 64).replace(/[^\w.-]/g, "") || crypto.randomUUID();
      const entry: RequestInfo = { id, startedAt: performance.now() };
      if (tracing) entry.span = tracing.startRequest(request, id);
      info.set(request, entry);
      set.headers["x-request-id"] = id;
    })
    // Counted when the answer is ready: mapResponse runs for every matched route (errors
    // included) without the deferred callback an after-response hook costs every response.
    .mapResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      count(request, route, status);
    })
    // A path no route matches never reaches mapResponse.
    .onError({ as: "global" }, ({ code, request }) => {
      if (code === "NOT_FOUND") count(request, undefined, 404);
    });
  // Only when request lines are written: any after-response hook makes Elysia schedule an
  // async callback (setImmediate) after every response, even one that would return at once.
  if (!logger.enabled("info")) return plugin;
  const debug = logger.enabled("debug");
  return plugin.onAfterResponse({ as: "global" }, ({ request, set, path, route }) => {
    const quiet = QUIET_ROUTES.has(route);
    if (quiet && !debug) return;
    const entry = info.get(request);
    (quiet ? logger.debug : logger.info)("request", {
      request_id: entry?.id,
      method: request.method,
      path,
      route: route || undefined,
      status: typeof set.status === "number" ? set.status : 200,
      duration_ms: entry ? Math.round((performance.now() - entry.startedAt) * 100) / 100 : undefined,
      ...entry?.fields,
    });
  });
}
