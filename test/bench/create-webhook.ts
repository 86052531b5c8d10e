// Bench 1: create-webhook throughput (authenticated, validated, persisted) under 64
// concurrent connections, against a bare Bun.serve JSON handler measured in the same run.
// Rounds alternate baseline and hookrelay so drift on the shared machine hits both alike;
// the ratio of the medians is the figure that counts. Target: ≥ 0.40.
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";
import { ADMIN_KEY, startBareJson, startHookrelay } from "./lib/processes";
import { runWrk, type WrkResult } from "./lib/wrk";
import { benchSettings } from "./lib/settings";

export const name = "create-webhook";
const TARGET = 0.4;

const BODY = JSON.stringify({
  url: "https://hooks.example.com/links",
  events: ["link.clicked", "uptime.down"],
  metadata: { team: "growth", env: "bench" },
});

export async function run(): Promise<BenchResult> {
  const { rounds, seconds, connections } = benchSettings();
  const base = await startBareJson();
  const subject = await startHookrelay();
  const load = (url: string, expectStatus: number, durationS: number) =>
    runWrk({
      url,
      expectStatus,
      connections,
      threads: 2,
      durationS,
      request: { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` }, body: BODY },
    });
  const baseRuns: WrkResult[] = [];
  const subjectRuns: WrkResult[] = [];
  try {
    // Warm both (JIT, SQLite page cache) before anything is recorded.
    await load(base.url, 201, 1);
    await load(`${subject.url}/api/v1/links/webhooks`, 201, 2);
    for (let i = 0; i < rounds; i++) {
      baseRuns.push(await load(base.url, 201, seconds));
      subjectRuns.push(await load(`${subject.url}/api/v1/links/webhooks`, 201, seconds));
    }
  } finally {
    await Promise.all([base.stop(), subject.stop()]);
  }

  const baseRps = median(baseRuns.map((r) => r.rps));
  const subjectRps = median(subjectRuns.map((r) => r.rps));
  const ratio = subjectRps / baseRps;
  const row = (label: string, runs: WrkResult[]) => [
    label,
    runs.map((r) => fmt(r.rps)).join(" / "),
    fmt(median(runs.map((r) => r.rps))),
    fmt(median(runs.map((r) => r.latencyMs.p50)), 2),
    fmt(median(runs.map((r) => r.latencyMs.p99)), 2),
    String(runs.reduce((n, r) => n + r.errors, 0)),
  ];
  printTable(
    `Bench 1 — create webhook, ${connections} connections, ${rounds}×${seconds}s (ratio ${fmt(ratio, 2)}, target ≥ ${TARGET})`,
    ["server", "req/s per round", "median req/s", "p50 ms", "p99 ms", "errors"],
    [row("bare Bun.serve JSON (baseline)", baseRuns), row("hookrelay POST /api/v1/links/webhooks", subjectRuns)],
  );
  const errors = [...baseRuns, ...subjectRuns].reduce((n, r) => n + r.errors, 0);
  return {
    bench: name,
    target: `ratio ≥ ${TARGET}`,
    pass: ratio >= TARGET && errors === 0,
    ratio,
    connections,
    rounds,
    seconds,
    baseline: { medianRps: baseRps, runs: baseRuns },
    hookrelay: { medianRps: subjectRps, runs: subjectRuns },
  };
}

if (import.meta.main) writeResult(await run());
