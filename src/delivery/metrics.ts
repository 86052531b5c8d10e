// In-process counters of the delivery loop, rendered as Prometheus text by GET /metrics.
// Fixed-size arrays only: memory does not grow with the number of deliveries.
import { family, Histogram, sample } from "../metrics/exposition";

export const OUTCOMES = ["delivered", "retry", "exhausted", "gone", "skipped"] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];
export const TRANSPORTS = ["http", "discord"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

/** Upper bounds in seconds; local receivers answer in milliseconds, slow ones up to the timeout. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** From publish to the successful attempt: milliseconds when the loop keeps up, hours along the retry schedule. */
export const PUBLISH_TO_DELIVERED_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 7200, 21600, 86400];

export class DeliveryMetrics {
  /** Totals over both transports. */
  readonly outcomes: Record<OutcomeKind, number> = { delivered: 0, retry: 0, exhausted: 0, gone: 0, skipped: 0 };
  /** [transport][outcome] */
  private readonly byTransport = TRANSPORTS.map(() => new Float64Array(OUTCOMES.length));
  private readonly attemptLatency = new Histogram(LATENCY_BUCKETS);
  private readonly publishToDelivered = TRANSPORTS.map(() => new Histogram(PUBLISH_TO_DELIVERED_BUCKETS));
  /** Claimed rows put back without an attempt because their target's share of slots was full. */
  deferred = 0;

  /**
   * One finished attempt (or a skip, with `durationMs` null). `sincePublishMs` is the time from
   * the event's publication to the end of a successful attempt.
   */
  record(kind: OutcomeKind, transport: TransportKind, durationMs: number | null, sincePublishMs?: number): void {
    this.outcomes[kind]++;
    const t = transport === "http" ? 0 : 1;
    this.byTransport[t]![OUTCOMES.indexOf(kind)]!++;
    if (durationMs === null) return;
    this.attemptLatency.observe(durationMs / 1000);
    if (sincePublishMs !== undefined) this.publishToDelivered[t]!.observe(Math.max(0, sincePublishMs) / 1000);
  }

  /** Prometheus exposition text for the counters and the latency histograms. */
  render(): string {
    const attempts = TRANSPORTS.flatMap((transport, t) =>
      OUTCOMES.map((outcome, o) => sample("hookrelay_delivery_attempts_total", { outcome, transport }, this.byTransport[t]![o]!)),
    );
    const delivered = TRANSPORTS.flatMap((transport, t) => this.publishToDelivered[t]!.samples("hookrelay_delivery_publish_to_delivered_seconds", { transport }));
    return [
      family(
        "hookrelay_delivery_attempts_total",
        "counter",
        "Delivery attempts by outcome (delivered, retry scheduled, retries exhausted, 410 gone, skipped because the webhook is disabled) and transport.",
        attempts,
      ),
      family("hookrelay_delivery_attempt_duration_seconds", "histogram", "Time from sending a delivery request to its outcome.", this.attemptLatency.samples("hookrelay_delivery_attempt_duration_seconds")),
      family(
        "hookrelay_delivery_publish_to_delivered_seconds",
        "histogram",
        "Time from an event's publication to the end of the attempt that delivered it, by transport (retries included).",
        delivered,
      ),
      family(
        "hookrelay_delivery_deferred_total",
        "counter",
        "Claimed deliveries put back for later without an attempt: their endpoint was hanging and its share of the delivery slots was full.",
        [sample("hookrelay_delivery_deferred_total", {}, this.deferred)],
      ),
    ].join("");
  }
}
