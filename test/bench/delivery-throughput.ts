// Bench 3: end-to-end delivery throughput. A backlog of N pending deliveries is seeded, the
// real server starts on it, and the receiver times the first to the last arrival. Baseline:
// a raw fetch loop (servers/fetch-loop.ts) in its own process with the same concurrency
// (DELIVERY_CONCURRENCY) posting the same bytes to the same receiver. Target ratio ≥ 0.80.
import { join } from "node:path";
import { fmt, median, printTable, roundsResult, roundsRow, writeResult, type BenchResult } from "./lib/report";
import { startReceiver, type Receiver, type ReceiverStats } from "./lib/receiver";
import { withBacklogServer } from "./lib/seed";

export const name = "delivery-throughput";
const TARGET = 0.8;
const CONCURRENCY = 64;
const BODY = '{"id":"evt_bench_1","type":"link.clicked","created_at":"2026-01-01T00:00:00.000Z","data":{"link_id":"lnk_1","short_url":"https://sho.rt/1"}}';

const rate = (s: ReceiverStats) => (s.count - 1) / ((s.lastMs - s.firstMs) / 1000);

async function rawFetch(receiver: Receiver, total: number): Promise<number> {
  await receiver.reset();
  const proc = Bun.spawn(["bun", join(import.meta.dir, "servers/fetch-loop.ts")], {
    env: { ...process.env, URL: `${receiver.url}/hook`, TOTAL: String(total), CONCURRENCY: String(CONCURRENCY), BODY },
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`fetch loop failed: ${out}`);
  if (JSON.parse(out).failed > 0) throw new Error(`fetch loop: ${out}`);
  return rate(await receiver.waitForCount(total, 5_000));
}

async function hookrelay(receiver: Receiver, total: number): Promise<number> {
  await receiver.reset();
  const seed = { webhookUrl: `${receiver.url}/hook`, pending: total };
  return withBacklogServer(seed, { DELIVERY_CONCURRENCY: String(CONCURRENCY) }, async () => rate(await receiver.waitForCount(total, 120_000)));
}

export async function run(): Promise<BenchResult> {
  const total = Number(process.env.BENCH_E2E_EVENTS ?? 50_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const receiver = await startReceiver();
  const baseRuns: number[] = [];
  const subjectRuns: number[] = [];
  try {
    await rawFetch(receiver, 2_000); // warm the receiver
    for (let i = 0; i < rounds; i++) {
      baseRuns.push(await rawFetch(receiver, total));
      subjectRuns.push(await hookrelay(receiver, total));
    }
  } finally {
    await receiver.stop();
  }
  const ratio = median(subjectRuns) / median(baseRuns);
  printTable(
    `Bench 3 — end-to-end delivery, ${fmt(total)} deliveries, concurrency ${CONCURRENCY}, ${rounds} rounds (ratio ${fmt(ratio, 2)}, target ≥ ${TARGET})`,
    ["sender", "deliveries/s per round", "median /s"],
    [
      roundsRow("raw fetch loop (baseline)", baseRuns),
      roundsRow("hookrelay delivery loop", subjectRuns),
    ],
  );
  return {
    bench: name,
    target: `ratio ≥ ${TARGET}`,
    pass: ratio >= TARGET,
    ratio,
    deliveries: total,
    concurrency: CONCURRENCY,
    baseline: roundsResult(baseRuns),
    hookrelay: roundsResult(subjectRuns),
  };
}

if (import.meta.main) writeResult(await run());
