// Bench 6: memory. RSS of an idle server (empty database, loop running), then RSS sampled
// every 100 ms and the kernel's high-water mark (VmHWM) while the server drains a seeded
// backlog of 1,000,000 deliveries to a local receiver. Baseline: an idle bare Bun.serve, the
// runtime's own floor. Target: peak ≤ 150 MB.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, printTable, writeResult, type BenchResult } from "./lib/report";
import { rssOf, startBareJson, startHookrelay } from "./lib/processes";
import { startReceiver } from "./lib/receiver";
import { seedBacklog } from "./lib/seed";

export const name = "memory";
const TARGET_MB = 150;

export async function run(): Promise<BenchResult> {
  const backlog = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
  const maxDrainS = Number(process.env.BENCH_DRAIN_MAX_S ?? 240);
  const receiver = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-mem-"));
  let baselineIdle: number;
  let idle: number;
  const samples: { s: number; delivered: number; rssMb: number }[] = [];
  let peakMb = 0;
  let drained = 0;
  let drainSeconds = 0;
  let seedSeconds = 0;
  try {
    const bare = await startBareJson();
    await Bun.sleep(1000);
    baselineIdle = rssOf(bare.pid).rssMb;
    await bare.stop();

    const empty = await startHookrelay({ DELIVERY_ALLOW_PRIVATE: "1" });
    await Bun.sleep(2000);
    idle = rssOf(empty.pid).rssMb;
    await empty.stop();

    const databasePath = join(dir, "backlog.db");
    seedSeconds = seedBacklog(databasePath, { webhookUrl: `${receiver.url}/hook`, pending: backlog }).seconds;
    await receiver.reset();
    const started = performance.now();
    const server = await startHookrelay({ DATABASE_PATH: databasePath, DELIVERY_ALLOW_PRIVATE: "1" });
    try {
      for (;;) {
        const { rssMb, peakMb: hwm } = rssOf(server.pid);
        const { count } = await receiver.stats();
        const s = (performance.now() - started) / 1000;
        samples.push({ s, delivered: count, rssMb });
        peakMb = Math.max(peakMb, hwm);
        drained = count;
        drainSeconds = s;
        if (count >= backlog || s > maxDrainS) break;
        await Bun.sleep(100);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const complete = drained >= backlog;
  const at = (fraction: number) => samples.find((x) => x.delivered >= fraction * backlog)?.rssMb ?? NaN;
  printTable(
    `Bench 6 — memory (RSS, MB); backlog ${fmt(backlog)} ${complete ? `drained in ${fmt(drainSeconds, 1)} s` : `NOT drained: ${fmt(drained)} in ${fmt(drainSeconds, 1)} s`} (target peak ≤ ${TARGET_MB} MB)`,
    ["process", "idle", "at 10 %", "at 50 %", "at 90 %", "peak (VmHWM)"],
    [
      ["bare Bun.serve (baseline)", fmt(baselineIdle, 1), "", "", "", ""],
      ["hookrelay", fmt(idle, 1), fmt(at(0.1), 1), fmt(at(0.5), 1), fmt(at(0.9), 1), fmt(peakMb, 1)],
    ],
  );
  return {
    bench: name,
    target: `peak ≤ ${TARGET_MB} MB while draining ${backlog}`,
    pass: complete && peakMb <= TARGET_MB,
    backlog,
    drained,
    drainSeconds,
    deliveriesPerSec: drained / drainSeconds,
    seedSeconds,
    baseline: { idleRssMb: baselineIdle },
    hookrelay: { idleRssMb: idle, peakRssMb: peakMb },
    samples: samples.filter((_, i) => i % 10 === 0),
  };
}

if (import.meta.main) writeResult(await run());
