// A request id for every request (echoed as x-request-id) and one JSON log line per request.
import { Elysia } from "elysia";
import type { Logger } from "../log";

interface RequestInfo {
  id: string;
  startedAt: number;
}

const info = new WeakMap<Request, RequestInfo>();

export function requestIdOf(request: Request): string {
  return info.get(request)?.id ?? "unknown";
}

export function requestLog(logger: Logger) {
  const plugin = new Elysia({ name: "http/request-log" }).onRequest(({ request, set }) => {
    const id = request.headers.get("x-request-id")?.slice(0, 64).replace(/[^\w.-]/g, "") || crypto.randomUUID();
    info.set(request, { id, startedAt: performance.now() });
    set.headers["x-request-id"] = id;
  });
  // Only when request lines are written: any after-response hook makes Elysia schedule an
  // async callback (setImmediate) after every response, even one that would return at once.
  if (!logger.enabled("info")) return plugin;
  return plugin
    .onAfterResponse({ as: "global" }, ({ request, set, path }) => {
      const entry = info.get(request);
      logger.info("request", {
        request_id: entry?.id,
        method: request.method,
        path,
        status: typeof set.status === "number" ? set.status : 200,
        duration_ms: entry ? Math.round((performance.now() - entry.startedAt) * 100) / 100 : undefined,
      });
    });
}
