// Bench 4: publish → received latency at a steady 100 events/s. The receiver runs in this
// process, so one clock times both ends: t0 just before POST /api/v1/events is sent, t1 when
// the receiver's handler sees the delivery (matched by `data.seq`). Baseline: the same
// publisher POSTing the same bytes straight to the same receiver — the loopback floor.
// Targets: p50 ≤ 5 ms, p99 ≤ 20 ms.
import { fmt, median, percentile, printTable, writeResult, type BenchResult } from "./lib/report";
import { ADMIN_KEY, startHookrelay } from "./lib/processes";

export const name = "latency";
const RATE = 100;
const auth = { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` };

interface Summary {
  sent: number;
  /** p99 of the time until the publish (or direct POST) was answered: the API's share. */
  answeredP99: number;
  received: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarise(sent: number, latencies: number[], answered: number[]): Summary {
  const s = [...latencies].sort((a, b) => a - b);
  const a = [...answered].sort((x, y) => x - y);
  return { sent, answeredP99: percentile(a, 99), received: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

/** Sends `count` requests at RATE/s on a fixed schedule (not back-to-back), each built by `send(seq)`. */
async function paced(count: number, send: (seq: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let seq = 0; seq < count; seq++) {
    const due = start + (seq * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    inflight.push(send(seq));
  }
  await Promise.all(inflight);
}

export async function run(): Promise<BenchResult> {
  const seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const count = RATE * seconds;
  const sentAt = new Map<number, number>();
  let arrivals: number[] = [];
  let answered: number[] = [];
  const receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const now = performance.now();
      const body = (await req.json()) as { data?: { seq?: number } };
      const t0 = sentAt.get(body.data?.seq ?? -1);
      if (t0 !== undefined) {
        arrivals.push(now - t0);
        sentAt.delete(body.data!.seq!);
      }
      return new Response("ok");
    },
  });
  const receiverUrl = `http://127.0.0.1:${receiver.port}/hook`;
  const server = await startHookrelay({ DELIVERY_ALLOW_PRIVATE: "1" });
  const measure = async (post: (seq: number, body: string) => Promise<Response>) => {
    sentAt.clear();
    arrivals = [];
    answered = [];
    await paced(count, async (seq) => {
      const body = JSON.stringify({ type: "link.clicked", data: { seq, link_id: "lnk_42", short_url: "https://sho.rt/abc" } });
      const t0 = performance.now();
      sentAt.set(seq, t0);
      const res = await post(seq, body);
      await res.arrayBuffer();
      answered.push(performance.now() - t0);
    });
    const deadline = Date.now() + 5_000;
    while (arrivals.length < count && Date.now() < deadline) await Bun.sleep(10);
    return summarise(count, arrivals, answered);
  };
  const direct: Summary[] = [];
  const relayed: Summary[] = [];
  try {
    const res = await fetch(`${server.url}/api/v1/links/webhooks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: receiverUrl, events: ["link.clicked"] }),
    });
    if (res.status !== 201) throw new Error(`creating the webhook answered ${res.status}`);
    const toReceiver = (_seq: number, body: string) => fetch(receiverUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
    const viaHookrelay = (_seq: number, body: string) => fetch(`${server.url}/api/v1/events`, { method: "POST", headers: auth, body });
    // One warm-up second each (connections, JIT), not recorded.
    await paced(RATE, async (seq) => void (await (await toReceiver(seq, "{}")).arrayBuffer()));
    await paced(RATE, async (seq) => void (await (await viaHookrelay(seq, JSON.stringify({ type: "link.clicked", data: { warm: seq } }))).arrayBuffer()));
    await Bun.sleep(200);
    // Alternating rounds, so a burst of load from elsewhere on the machine hits both alike.
    for (let i = 0; i < rounds; i++) {
      direct.push(await measure(toReceiver));
      relayed.push(await measure(viaHookrelay));
    }
  } finally {
    await server.stop();
    receiver.stop(true);
  }
  const med = (runs: Summary[]): Summary => ({
    sent: runs.reduce((n, r) => n + r.sent, 0),
    received: runs.reduce((n, r) => n + r.received, 0),
    p50: median(runs.map((r) => r.p50)),
    p90: median(runs.map((r) => r.p90)),
    p99: median(runs.map((r) => r.p99)),
    answeredP99: median(runs.map((r) => r.answeredP99)),
    max: Math.max(...runs.map((r) => r.max)),
  });
  const d = med(direct);
  const h = med(relayed);
  const row = (label: string, s: Summary, runs: Summary[]) => [
    label,
    `${s.received}/${s.sent}`,
    fmt(s.p50, 2),
    fmt(s.p90, 2),
    `${fmt(s.p99, 2)} (${runs.map((r) => fmt(r.p99, 1)).join(" / ")})`,
    fmt(s.max, 2),
    fmt(s.answeredP99, 2),
  ];
  printTable(
    `Bench 4 — publish → received latency at ${RATE} events/s, ${rounds}×${seconds}s, medians of rounds (targets p50 ≤ 5 ms, p99 ≤ 20 ms)`,
    ["path", "received", "p50 ms", "p90 ms", "p99 ms (per round)", "max ms", "answered p99 ms"],
    [row("direct POST to receiver (baseline)", d, direct), row("publish → hookrelay → receiver", h, relayed)],
  );
  return {
    bench: name,
    target: "p50 ≤ 5 ms, p99 ≤ 20 ms",
    pass: h.received === h.sent && h.p50 <= 5 && h.p99 <= 20,
    rate: RATE,
    rounds,
    seconds,
    baseline: { ...d, runs: direct },
    hookrelay: { ...h, runs: relayed },
  };
}

if (import.meta.main) writeResult(await run());
