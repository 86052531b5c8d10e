// The Prometheus text format (version 0.0.4), written by hand: the few families we expose
// have label sets known in advance, so each series is a slot in a fixed array and recording
// is an index and an add (no label hashing, no allocation) on the publish and delivery paths.

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{a="x",b="y"}` (or nothing for no labels). */
export function labelSet(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** `# HELP` and `# TYPE` lines of a family, then its samples. */
export function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: string[]): string {
  return `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${type}\n${samples.join("")}`;
}

export function sample(name: string, labels: Record<string, string>, value: number): string {
  return `${name}${labelSet(labels)} ${formatValue(value)}\n`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** A histogram with fixed upper bounds (seconds); observe() is a short loop over them. */
export class Histogram {
  private readonly counts: Float64Array;
  private sum = 0;
  private total = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }

  observe(seconds: number): void {
    this.sum += seconds;
    this.total++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  get count(): number {
    return this.total;
  }

  /** The `_bucket` (cumulative), `_sum` and `_count` samples of one series. */
  samples(name: string, labels: Record<string, string> = {}): string[] {
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.counts[i]!;
      out.push(sample(`${name}_bucket`, { ...labels, le: String(this.buckets[i]) }, cumulative));
    }
    out.push(sample(`${name}_bucket`, { ...labels, le: "+Inf" }, this.total));
    out.push(sample(`${name}_sum`, labels, this.sum));
    out.push(sample(`${name}_count`, labels, this.total));
    return out;
  }
}
