// HTTP server metrics by route pattern (`/api/v1/deliveries/:id`, never the raw path, so the
// label count is bounded by the routes the app has), method and status, with a latency
// histogram per route and method.
import { family, Histogram, sample } from "./exposition";

/** Upper bounds in seconds: in-process answers take well under a millisecond, a slow one seconds. */
export const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"] as const;
/** The label of a request that matched no route (a 404): one series for every unknown path. */
export const UNMATCHED_ROUTE = "unmatched";

interface Series {
  byStatus: Map<number, number>;
  latency: Histogram;
}

export class HttpMetrics {
  /** route → one entry per METHODS index, made when first seen. */
  private readonly routes = new Map<string, (Series | undefined)[]>();

  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const key = route || UNMATCHED_ROUTE;
    let perMethod = this.routes.get(key);
    if (!perMethod) this.routes.set(key, (perMethod = []));
    let m = METHODS.indexOf(method as (typeof METHODS)[number]);
    if (m < 0) m = METHODS.length - 1;
    let series = perMethod[m];
    if (!series) perMethod[m] = series = { byStatus: new Map(), latency: new Histogram(HTTP_BUCKETS) };
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    series.latency.observe(seconds);
  }

  render(): string {
    const counts: string[] = [];
    const latencies: string[] = [];
    for (const [route, perMethod] of this.routes) {
      perMethod.forEach((series, m) => {
        if (!series) return;
        const labels = { method: METHODS[m]!, route };
        for (const [status, n] of series.byStatus) counts.push(sample("hookrelay_http_requests_total", { ...labels, status: String(status) }, n));
        latencies.push(...series.latency.samples("hookrelay_http_request_duration_seconds", labels));
      });
    }
    return (
      family("hookrelay_http_requests_total", "counter", "HTTP requests answered, by method, route pattern and status.", counts) +
      family("hookrelay_http_request_duration_seconds", "histogram", "Time from receiving an HTTP request to its answer being ready to send, by method and route pattern.", latencies)
    );
  }
}
