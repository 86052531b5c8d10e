// Operations endpoints (docs/api-guide.md#operations): liveness, readiness (database + delivery loop), and
// Prometheus metrics. Unauthenticated, like every orchestrator and scraper expects.
import { Elysia, t } from "elysia";
import type { AppDeps } from "../deps";
import { described } from "../http/schemas";
import { queueGauges } from "./queue-gauges";

export function healthRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Elysia({ detail: { tags: ["Operations"], security: [] } })
    .get("/health", () => ({ status: "ok" as const }), {
      response: t.Object({ status: t.Literal("ok") }, { description: "The process is up." }),
      detail: { operationId: "getHealth", summary: "Liveness", description: "200 while the process is up." },
    })
    .get(
      "/ready",
      ({ set }) => {
        let database = true;
        try {
          db.$client.prepare("SELECT 1").get();
        } catch {
          database = false;
        }
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
      ({ set }) => {
        set.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
        return queueGauges(db) + (deps.delivery?.metrics.render() ?? "");
      },
      {
        response: t.String({
          description: "Prometheus text exposition format.",
          examples: ["# TYPE hookrelay_delivery_attempts_total counter\nhookrelay_delivery_attempts_total{outcome=\"delivered\"} 42\n"],
        }),
        detail: {
          operationId: "getMetrics",
          summary: "Prometheus metrics",
          description: "Deliveries by outcome (`hookrelay_delivery_attempts_total`), queue depth and rows by status, and the attempt latency histogram.",
        },
      },
    );
}

const ReadyBody = t.Object({
  status: t.Union([t.Literal("ready"), t.Literal("not_ready")]),
  checks: t.Object({ database: t.Boolean(), delivery_loop: t.Boolean() }),
});
