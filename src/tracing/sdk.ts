// The OpenTelemetry SDK behind `Tracing`: spans batched and exported over OTLP/HTTP
// (protobuf or JSON), sampled as OTEL_TRACES_SAMPLER says. Contexts are passed explicitly
// (a request's span is looked up by its Request, an attempt's parent comes from the event row),
// so no global context manager is installed.
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from "@opentelemetry/api";
import { setGlobalErrorHandler, W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { Logger } from "../log";
import { VERSION } from "../version";
import { withoutUserinfo, type TracingConfig } from "./config";
import type { AttemptInfo, AttemptSpan, RequestSpan, Tracing } from "./tracing";

/** Export failures are logged at most this often: a collector that is down must not flood the log. */
const EXPORT_ERROR_LOG_EVERY_MS = 60_000;

function sampler(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

async function exporter(config: TracingConfig): Promise<SpanExporter> {
  const options = { url: config.url, headers: config.headers, timeoutMillis: config.timeoutMs, compression: config.compression as never };
  if (config.protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter(options) as unknown as SpanExporter;
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter(options);
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export async function createTracing(config: TracingConfig, logger: Logger): Promise<Tracing> {
  let lastErrorLogAt = -Infinity;
  setGlobalErrorHandler((error) => {
    const now = Date.now();
    if (now - lastErrorLogAt < EXPORT_ERROR_LOG_EVERY_MS) return;
    lastErrorLogAt = now;
    logger.warn("tracing: exporting spans failed", { error: error instanceof Error ? error.message : String(error), endpoint: withoutUserinfo(config.url) });
  });
  const provider = new TracerProvider({
    sampler: sampler(config),
    resource: resourceFromAttributes({ ...config.resourceAttributes, "service.name": config.serviceName, "service.version": VERSION }),
    spanProcessors: [new BatchSpanProcessor({ exporter: await exporter(config), ...config.batch })],
  });
  const tracer = provider.getTracer("hookrelay", VERSION);
  const propagator = new W3CTraceContextPropagator();

  function traceparentOf(span: Span): string {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    return carrier.traceparent ?? "";
  }

  function parentContext(traceparent: string | null): Context {
    if (!traceparent) return ROOT_CONTEXT;
    return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
  }

  return {
    startRequest(request, requestId): RequestSpan {
      const method = request.method;
      const url = new URL(request.url);
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: { "http.request.method": method, "url.path": url.pathname, "url.scheme": url.protocol.slice(0, -1), "hookrelay.request_id": requestId },
        },
        propagator.extract(ROOT_CONTEXT, request.headers, headerGetter),
      );
      return {
        traceparent: () => traceparentOf(span),
        setAttribute: (key, value) => span.setAttribute(key, value),
        end(route, status) {
          if (route) {
            span.updateName(`${method} ${route}`);
            span.setAttribute("http.route", route);
          }
          span.setAttribute("http.response.status_code", status);
          // A 4xx is the caller's mistake, not a failure of this server (semantic conventions).
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },

    startAttempt(parent, attempt: AttemptInfo, startedAtMs): AttemptSpan {
      const span = tracer.startSpan(
        "delivery attempt",
        {
          kind: SpanKind.CLIENT,
          startTime: startedAtMs,
          attributes: {
            "hookrelay.delivery_id": attempt.deliveryId,
            "hookrelay.event_id": attempt.eventId,
            "hookrelay.delivery.transport": attempt.transport,
            "hookrelay.delivery.attempt": attempt.attempt,
            "http.request.method": "POST",
            ...(attempt.webhookId ? { "hookrelay.webhook_id": attempt.webhookId } : {}),
            ...(attempt.trafficSourceWebhookId ? { "hookrelay.traffic_source_webhook_id": attempt.trafficSourceWebhookId } : {}),
          },
        },
        parentContext(parent),
      );
      return {
        end(statusCode, outcome, error) {
          if (statusCode !== null) span.setAttribute("http.response.status_code", statusCode);
          span.setAttribute("hookrelay.delivery.outcome", outcome);
          if (outcome !== "delivered") span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? outcome });
          span.end();
        },
      };
    },

    shutdown: () => provider.shutdown(),
  };
}
