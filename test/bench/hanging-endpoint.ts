// Bench 7: delivery beside a hanging endpoint. A webhook whose endpoint accepts connections and
// never answers has an older backlog than a healthy webhook's; how long do the healthy
// deliveries take? Baseline in the same run: the same healthy backlog drained alone. Before
// per-endpoint shares (src/delivery/endpoint-queues.ts) the hanging backlog held every slot for
// a whole timeout per round: OLDER ÷ concurrency × timeout before the first healthy delivery.
import { fmt, median, printTable, roundsResult, roundsRow, writeResult, type BenchResult } from "./lib/report";
import { startReceiver, type Receiver } from "./lib/receiver";
import { withBacklogServer } from "./lib/seed";

export const name = "hanging-endpoint";
const CONCURRENCY = 64;
const TIMEOUT_MS = 2000;
/** The healthy deliveries must be done by then, or the round counts what arrived. */
const ROUND_LIMIT_MS = 60_000;

/** Accepts connections, reads requests, never answers. */
function startHangingServer(): { url: string; stop(): void } {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  return { url: `http://127.0.0.1:${server.port}/hook`, stop: () => server.stop(true) };
}

/** Healthy deliveries per second, from the server's start to the last healthy arrival. */
async function drain(receiver: Receiver, healthy: number, older: { webhookUrl: string; pending: number } | undefined): Promise<{ perSec: number; complete: boolean }> {
  await receiver.reset();
  const seed = { webhookUrl: `${receiver.url}/hook`, pending: healthy, older };
  const env = { DELIVERY_CONCURRENCY: String(CONCURRENCY), DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS) };
  return withBacklogServer(seed, env, async (startedAt) => {
    const stats = await receiver.waitForCount(healthy, ROUND_LIMIT_MS).catch(() => receiver.stats());
    return { perSec: stats.count / ((performance.now() - startedAt) / 1000), complete: stats.count >= healthy };
  });
}

export async function run(): Promise<BenchResult> {
  const healthy = Number(process.env.BENCH_HANGING_HEALTHY ?? 50_000);
  const older = Number(process.env.BENCH_HANGING_OLDER ?? 2_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const receiver = await startReceiver();
  const hanging = startHangingServer();
  const alone: number[] = [];
  const beside: number[] = [];
  let complete = true;
  try {
    for (let i = 0; i < rounds; i++) {
      for (const [runs, backlog] of [[alone, undefined], [beside, { webhookUrl: hanging.url, pending: older }]] as const) {
        const round = await drain(receiver, healthy, backlog);
        runs.push(round.perSec);
        complete &&= round.complete;
      }
    }
  } finally {
    hanging.stop();
    await receiver.stop();
  }
  const ratio = median(beside) / median(alone);
  printTable(
    `Bench 7 — ${fmt(healthy)} healthy deliveries beside ${fmt(older)} older ones to an endpoint that never answers (timeout ${TIMEOUT_MS} ms, concurrency ${CONCURRENCY}, ${rounds} rounds; ratio ${fmt(ratio, 2)})`,
    ["backlog", "healthy deliveries/s from start, per round", "median /s"],
    [
      roundsRow("healthy alone (baseline)", alone),
      roundsRow("healthy beside the hanging backlog", beside),
    ],
  );
  return {
    bench: name,
    target: `no fixed target: healthy deliveries/s beside the hanging backlog, and all within ${ROUND_LIMIT_MS / 1000} s`,
    pass: complete,
    ratio,
    healthy,
    older,
    timeoutMs: TIMEOUT_MS,
    concurrency: CONCURRENCY,
    baseline: roundsResult(alone),
    hookrelay: roundsResult(beside),
  };
}

if (import.meta.main) writeResult(await run());
