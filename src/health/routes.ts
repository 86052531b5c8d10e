// Operations endpoints (docs/api-guide.md#operations): liveness, readiness (database + delivery loop), and
// Prometheus metrics. Unauthenticated, like every orchestrator and scraper expects.
import { Elysia, t } from "elysia";
import type { AppDeps } from "../deps";
import { family, sample } from "../metrics/exposition";
import { processMetrics } from "../metrics/process-metrics";
import { VERSION } from "../version";
import { described } from "../http/schemas";
import { queueGauges } from "./queue-gauges";

const BUILD_INFO = family("hookrelay_build_info", "gauge", "Always 1; the labels say which build and runtime answer.", [
  sample("hookrelay_build_info", { version: VERSION, runtime: "bun", runtime_version: Bun.version }, 1),
]);

export function healthRoutes(deps: AppDeps) {
  const { store } = deps;
  return new Elysia({ detail: { tags: ["Operations"], security: [] } })
    .get("/health", () => ({ status: "ok" as const }), {
      response: t.Object({ status: t.Literal("ok") }, { description: "The process is up." }),
      detail: { operationId: "getHealth", summary: "Liveness", description: "200 while the process is up." },
    })
    .get(
      "/ready",
      async ({ set }) => {
        const database = await store.health.ping().then(
          () => true,
          () => false,
        );
        const deliveryLoop = deps.delivery?.isRunning() ?? false;
        const ready = database && deliveryLoop;
        set.status = ready ? 200 : 503;
        return { status: ready ? ("ready" as const) : ("not_ready" as const), checks: { database, delivery_loop: deliveryLoop } };
      },
      {
        response: {
          200: described(ReadyBody, "Ready: the database answers and the delivery loop runs."),
          503: described(ReadyBody, "Not ready: `checks` says which part is not."),
        },
        detail: { operationId: "getReadiness", summary: "Readiness", description: "200 when the database answers and the delivery loop is running; 503 otherwise (also while shutting down)." },
      },
    )
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
        // Gauges from the database (the same for every process on it), then this process's counters.
        return (await queueGauges(store)) + (deps.delivery?.metrics.render() ?? "") + deps.metrics.render() + processMetrics() + BUILD_INFO;
      },
      {
        response: t.String({
          description: "Prometheus text exposition format.",
          examples: ["# TYPE hookrelay_delivery_attempts_total counter\nhookrelay_delivery_attempts_total{outcome=\"delivered\"} 42\n"],
        }),
        detail: {
          operationId: "getMetrics",
          summary: "Prometheus metrics",
          description:
            "Prometheus text. From the database: queue depth, rows by status, due rows, age of the oldest due delivery, due rows of the busiest webhooks. " +
            "Counters of this process: events published by type, delivery attempts by outcome and transport, attempt and publish-to-delivered latency, " +
            "HTTP requests by route pattern and status with latency; `process_*`; `hookrelay_build_info`.",
        },
      },
    );
}

const ReadyBody = t.Object({
  status: t.Union([t.Literal("ready"), t.Literal("not_ready")]),
  checks: t.Object({ database: t.Boolean(), delivery_loop: t.Boolean() }),
});
