// Liveness for orchestrators. Readiness (database + delivery loop) joins it with the engine.
import { Elysia, t } from "elysia";
import type { AppDeps } from "../deps";

export function healthRoutes(_deps: AppDeps) {
  return new Elysia({ detail: { tags: ["Operations"], security: [] } }).get("/health", () => ({ status: "ok" as const }), {
    response: t.Object({ status: t.Literal("ok") }),
    detail: { summary: "Liveness", description: "200 while the process is up." },
  });
}
