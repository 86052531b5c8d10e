// What the app and the delivery loop ask of tracing. The OpenTelemetry SDK (./sdk.ts) is
// imported only when an OTLP endpoint is configured: without one, `Tracing` is undefined, the
// hot paths pay one check of it, and no @opentelemetry module is ever loaded.
import type { TracingConfig } from "./config";
import type { Logger } from "../log";

export interface RequestSpan {
  /** This span's W3C `traceparent`, stored with an event published in the request. */
  traceparent(): string;
  setAttribute(key: string, value: string): void;
  /** Names the span after its route pattern (`POST /api/v1/events`) and ends it. */
  end(route: string | undefined, status: number): void;
}

export interface AttemptInfo {
  deliveryId: string;
  eventId: string;
  transport: "http" | "discord";
  webhookId: string | null;
  trafficSourceWebhookId: string | null;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface AttemptSpan {
  /** `outcome` as the attempt log says it (delivered, retry, exhausted, gone), or abandoned at shutdown. */
  end(statusCode: number | null, outcome: string, error: string | null): void;
}

export interface Tracing {
  /** A server span for `request`, a child of its `traceparent` header when it has a valid one. */
  startRequest(request: Request, requestId: string): RequestSpan;
  /** A span for one delivery attempt, a child of the publish request's span (`parent`, stored with the event). */
  startAttempt(parent: string | null, attempt: AttemptInfo, startedAtMs: number): AttemptSpan;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

export async function startTracing(config: TracingConfig | null, logger: Logger): Promise<Tracing | undefined> {
  if (!config) return undefined;
  const { createTracing } = await import("./sdk");
  return createTracing(config, logger);
}

// W3C Trace Context: version-traceid-parentid-flags, lower-case hex. A future version may
// append fields; version ff and all-zero ids are invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The header if it is a valid `traceparent` (at most 128 characters are kept), else null. */
export function validTraceparent(header: string | null): string | null {
  if (header === null || header.length > 128) return null;
  const value = header.trim();
  const m = TRACEPARENT.exec(value);
  if (!m || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined)) return null;
  if (/^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  return value;
}
