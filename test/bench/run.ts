// `bun run bench [name…]`: runs every benchmark (or the named ones) one after another, prints
// each table and a summary, and writes results/<bench>.json plus results/summary.json.
// Benchmarks are never part of `bun test`; nothing here asserts, it measures.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fmt, machine, printTable, RESULTS_DIR, writeResult, type BenchResult } from "./lib/report";
import { ensureWrk } from "./lib/wrk";

const BENCHES = ["create-webhook", "publish", "delivery-throughput", "latency", "claim-scaling", "memory", "hanging-endpoint", "log-reads", "publish-filters"] as const;

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
if (unknown.length > 0) {
  console.error(`Unknown bench: ${unknown.join(", ")}. Known: ${BENCHES.join(", ")}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? BENCHES.filter((b) => wanted.includes(b)) : BENCHES;

ensureWrk();
const m = machine();
console.log(`hookrelay benchmarks on ${m.cores} cores (${m.cpu}), Bun ${m.bun}; results in ${RESULTS_DIR}`);

const summary: { bench: string; target: string; pass: boolean | null; seconds: number; headline: string }[] = [];
for (const bench of selected) {
  const started = performance.now();
  try {
    const mod = (await import(`./${bench}.ts`)) as { run(): Promise<BenchResult> };
    const result = await mod.run();
    writeResult(result);
    summary.push({ bench, target: result.target, pass: result.pass, seconds: (performance.now() - started) / 1000, headline: headline(result) });
  } catch (e) {
    console.error(`\n${bench} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    summary.push({ bench, target: "", pass: null, seconds: (performance.now() - started) / 1000, headline: `error: ${String(e).slice(0, 80)}` });
  }
}

function headline(r: BenchResult): string {
  if (typeof r.ratio === "number") return `ratio ${fmt(r.ratio, 2)}`;
  const h = r.hookrelay as Record<string, number> | undefined;
  if (r.bench === "latency" && h) return `p50 ${fmt(h.p50!, 2)} ms, p99 ${fmt(h.p99!, 2)} ms`;
  if (r.bench === "memory" && h) return `idle ${fmt(h.idleRssMb!, 0)} MB, peak ${fmt(h.peakRssMb!, 0)} MB`;
  if (r.bench === "publish") {
    const f = r.fanOut as Record<string, { medianEventsPerSec: number }>;
    return Object.entries(f).map(([k, v]) => `fan-out ${k}: ${fmt(v.medianEventsPerSec)}/s`).join(", ");
  }
  return "";
}

printTable(
  "Summary",
  ["bench", "result", "target", "meets target", "took s"],
  summary.map((s) => [s.bench, s.headline, s.target, s.pass === null ? "error" : s.pass ? "yes" : "no", fmt(s.seconds, 0)]),
);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, "summary.json"), JSON.stringify({ machine: m, at: new Date().toISOString(), summary }, null, 2) + "\n");
