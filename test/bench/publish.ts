// Bench 2: publish throughput — events/s accepted by POST /api/v1/events (202 after the
// outbox commit) with fan-out 1 and 10, and fan-out 1 among 10,000 webhooks (the others
// subscribed to another type: finding subscribers must not cost one step per webhook),
// against the bare Bun.serve JSON handler in the same run. The delivery loop runs as in
// production, delivering to a local receiver, so the figure is what the whole process
// sustains, not the route alone.
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";
import { ADMIN_KEY, startBareJson, startHookrelay, type Running } from "./lib/processes";
import { startReceiver } from "./lib/receiver";
import { benchSettings } from "./lib/settings";
import { runWrk, type WrkResult } from "./lib/wrk";

export const name = "publish";
/** Webhooks subscribed to the published type, and webhooks subscribed only to another one. */
const CASES = [
  { label: "1", subscribed: 1, others: 0 },
  { label: "10", subscribed: 10, others: 0 },
  { label: "1 of 10,000 webhooks", subscribed: 1, others: 9_999 },
];
const EVENT = JSON.stringify({ type: "link.clicked", data: { link_id: "lnk_42", short_url: "https://sho.rt/abc", clicked_at: "2026-01-01T00:00:00.000Z" } });
const auth = { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` };

async function createWebhook(server: Running, url: string, events: string[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/links/webhooks`, { method: "POST", headers: auth, body: JSON.stringify({ url, events }) });
  if (res.status !== 201) throw new Error(`creating a webhook answered ${res.status}: ${await res.text()}`);
}

async function subscribe(server: Running, receiverUrl: string, subscribed: number, others: number): Promise<void> {
  for (let i = 0; i < subscribed; i++) await createWebhook(server, `${receiverUrl}/hook/${i}`, ["link.clicked"]);
  // 64 at a time: 10,000 one by one would take longer than the measurement.
  for (let done = 0; done < others; done += 64) {
    const batch = Array.from({ length: Math.min(64, others - done) }, (_, i) => createWebhook(server, `${receiverUrl}/other/${done + i}`, ["uptime.down"]));
    await Promise.all(batch);
  }
}

export async function run(): Promise<BenchResult> {
  const { rounds, seconds, connections } = benchSettings();
  const receiver = await startReceiver();
  const base = await startBareJson();
  const load = (url: string, expectStatus: number, durationS: number) =>
    runWrk({ url, expectStatus, connections, threads: 2, durationS, request: { method: "POST", headers: auth, body: EVENT } });
  const baseRuns: WrkResult[] = [];
  const byCase: Record<string, WrkResult[]> = {};
  try {
    await load(base.url, 201, 1);
    for (const c of CASES) {
      // A fresh server (and database) per case, so the next does not inherit a backlog.
      const subject = await startHookrelay({ DELIVERY_ALLOW_PRIVATE: "1" });
      try {
        await subscribe(subject, receiver.url, c.subscribed, c.others);
        await load(`${subject.url}/api/v1/events`, 202, 1);
        for (let i = 0; i < rounds; i++) {
          if (c === CASES[0]) baseRuns.push(await load(base.url, 201, seconds));
          (byCase[c.label] ??= []).push(await load(`${subject.url}/api/v1/events`, 202, seconds));
        }
      } finally {
        await subject.stop();
      }
    }
  } finally {
    await Promise.all([base.stop(), receiver.stop()]);
  }

  const baseRps = median(baseRuns.map((r) => r.rps));
  const rows = [
    ["bare Bun.serve JSON (baseline)", baseRuns.map((r) => fmt(r.rps)).join(" / "), fmt(baseRps), "1.00", fmt(median(baseRuns.map((r) => r.latencyMs.p99)), 2)],
    ...CASES.map(({ label }) => {
      const runs = byCase[label]!;
      const m = median(runs.map((r) => r.rps));
      return [`hookrelay publish, fan-out ${label}`, runs.map((r) => fmt(r.rps)).join(" / "), fmt(m), fmt(m / baseRps, 2), fmt(median(runs.map((r) => r.latencyMs.p99)), 2)];
    }),
  ];
  printTable(`Bench 2 — publish (events/s accepted), ${connections} connections, ${rounds}×${seconds}s`, ["server", "per round", "median /s", "vs baseline", "p99 ms"], rows);
  const errors = [...baseRuns, ...Object.values(byCase).flat()].reduce((n, r) => n + r.errors, 0);
  return {
    bench: name,
    target: "no fixed target: events/s accepted, reported beside the baseline",
    pass: errors === 0,
    connections,
    rounds,
    seconds,
    baseline: { medianRps: baseRps, runs: baseRuns },
    fanOut: Object.fromEntries(
      CASES.map(({ label }) => {
        const m = median(byCase[label]!.map((r) => r.rps));
        return [label, { medianEventsPerSec: m, ratio: m / baseRps, runs: byCase[label] }];
      }),
    ),
  };
}

if (import.meta.main) writeResult(await run());
