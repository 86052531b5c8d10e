// Bench 2: publish throughput — events/s accepted by POST /api/v1/events (202 after the
// outbox commit) with fan-out 1 and 10, against the bare Bun.serve JSON handler in the same
// run. The delivery loop runs as in production, delivering to a local receiver, so the
// figure is what the whole process sustains, not the route alone.
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";
import { ADMIN_KEY, startBareJson, startHookrelay, type Running } from "./lib/processes";
import { startReceiver } from "./lib/receiver";
import { benchSettings } from "./lib/settings";
import { runWrk, type WrkResult } from "./lib/wrk";

export const name = "publish";
const FAN_OUTS = [1, 10];
const EVENT = JSON.stringify({ type: "link.clicked", data: { link_id: "lnk_42", short_url: "https://sho.rt/abc", clicked_at: "2026-01-01T00:00:00.000Z" } });
const auth = { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` };

async function subscribe(server: Running, receiverUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${server.url}/api/v1/links/webhooks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: `${receiverUrl}/hook/${i}`, events: ["link.clicked"] }),
    });
    if (res.status !== 201) throw new Error(`creating a webhook answered ${res.status}: ${await res.text()}`);
  }
}

export async function run(): Promise<BenchResult> {
  const { rounds, seconds, connections } = benchSettings();
  const receiver = await startReceiver();
  const base = await startBareJson();
  const load = (url: string, expectStatus: number, durationS: number) =>
    runWrk({ url, expectStatus, connections, threads: 2, durationS, request: { method: "POST", headers: auth, body: EVENT } });
  const baseRuns: WrkResult[] = [];
  const byFanOut: Record<number, WrkResult[]> = {};
  try {
    await load(base.url, 201, 1);
    for (const fanOut of FAN_OUTS) {
      // A fresh server (and database) per fan-out, so the second does not inherit a backlog.
      const subject = await startHookrelay({ DELIVERY_ALLOW_PRIVATE: "1" });
      try {
        await subscribe(subject, receiver.url, fanOut);
        await load(`${subject.url}/api/v1/events`, 202, 1);
        for (let i = 0; i < rounds; i++) {
          if (fanOut === FAN_OUTS[0]) baseRuns.push(await load(base.url, 201, seconds));
          (byFanOut[fanOut] ??= []).push(await load(`${subject.url}/api/v1/events`, 202, seconds));
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
    ...FAN_OUTS.map((f) => {
      const runs = byFanOut[f]!;
      const m = median(runs.map((r) => r.rps));
      return [`hookrelay publish, fan-out ${f}`, runs.map((r) => fmt(r.rps)).join(" / "), fmt(m), fmt(m / baseRps, 2), fmt(median(runs.map((r) => r.latencyMs.p99)), 2)];
    }),
  ];
  printTable(`Bench 2 — publish (events/s accepted), ${connections} connections, ${rounds}×${seconds}s`, ["server", "per round", "median /s", "vs baseline", "p99 ms"], rows);
  const errors = [...baseRuns, ...Object.values(byFanOut).flat()].reduce((n, r) => n + r.errors, 0);
  return {
    bench: name,
    target: "no fixed target: events/s accepted, reported beside the baseline",
    pass: errors === 0,
    connections,
    rounds,
    seconds,
    baseline: { medianRps: baseRps, runs: baseRuns },
    fanOut: Object.fromEntries(FAN_OUTS.map((f) => [f, { medianEventsPerSec: median(byFanOut[f]!.map((r) => r.rps)), ratio: median(byFanOut[f]!.map((r) => r.rps)) / baseRps, runs: byFanOut[f] }])),
  };
}

if (import.meta.main) writeResult(await run());
