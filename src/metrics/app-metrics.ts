// The in-process counters of the API side, owned by the composition root (server.ts) and
// rendered by GET /metrics beside the delivery loop's and the database gauges. Counters are
// per process, as Prometheus expects (it sums them across instances).
import { family, sample } from "./exposition";
import { HttpMetrics } from "./http-metrics";

/** Distinct event types counted on their own; any more share `type="other"`, so the label count stays bounded. */
const MAX_EVENT_TYPES = 200;

export class AppMetrics {
  readonly http = new HttpMetrics();
  private readonly published = new Map<string, number>();

  /** An event was committed (not an idempotent replay). */
  eventPublished(type: string): void {
    const n = this.published.get(type);
    if (n !== undefined) this.published.set(type, n + 1);
    else if (this.published.size < MAX_EVENT_TYPES) this.published.set(type, 1);
    else this.published.set("other", (this.published.get("other") ?? 0) + 1);
  }

  render(): string {
    const published = [...this.published].map(([type, n]) => sample("hookrelay_events_published_total", { type }, n));
    return family("hookrelay_events_published_total", "counter", "Events stored for delivery, by type (idempotent replays not counted).", published) + this.http.render();
  }
}
