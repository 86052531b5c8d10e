// In-process counters of the delivery loop, rendered as Prometheus text by GET /metrics.
// Fixed-size arrays only: memory does not grow with the number of deliveries.

export const OUTCOMES = ["delivered", "retry", "exhausted", "gone", "skipped"] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

/** Upper bounds in seconds; local receivers answer in milliseconds, slow ones up to the timeout. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class DeliveryMetrics {
  readonly outcomes: Record<OutcomeKind, number> = { delivered: 0, retry: 0, exhausted: 0, gone: 0, skipped: 0 };
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  /** Claimed rows put back without an attempt because their target's share of slots was full. */
  deferred = 0;
  private sumSeconds = 0;
  private count = 0;

  record(kind: OutcomeKind, durationMs: number | null): void {
    this.outcomes[kind]++;
    if (durationMs === null) return;
    const seconds = durationMs / 1000;
    this.sumSeconds += seconds;
    this.count++;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) this.bucketCounts[i]!++;
  }

  /** Prometheus exposition text for the counters and the attempt latency histogram. */
  render(): string {
    const lines = [
      "# HELP hookrelay_delivery_attempts_total Delivery attempts by outcome (delivered, retry scheduled, retries exhausted, 410 gone, skipped because the webhook is disabled).",
      "# TYPE hookrelay_delivery_attempts_total counter",
      ...OUTCOMES.map((o) => `hookrelay_delivery_attempts_total{outcome="${o}"} ${this.outcomes[o]}`),
      "# HELP hookrelay_delivery_attempt_duration_seconds Time from sending a delivery request to its outcome.",
      "# TYPE hookrelay_delivery_attempt_duration_seconds histogram",
      ...LATENCY_BUCKETS.map((le, i) => `hookrelay_delivery_attempt_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`),
      `hookrelay_delivery_attempt_duration_seconds_bucket{le="+Inf"} ${this.count}`,
      `hookrelay_delivery_attempt_duration_seconds_sum ${this.sumSeconds}`,
      `hookrelay_delivery_attempt_duration_seconds_count ${this.count}`,
      "# HELP hookrelay_delivery_deferred_total Claimed deliveries put back for later without an attempt: their endpoint was hanging and its share of the delivery slots was full.",
      "# TYPE hookrelay_delivery_deferred_total counter",
      `hookrelay_delivery_deferred_total ${this.deferred}`,
    ];
    return lines.join("\n") + "\n";
  }
}
