// Bench 5: backlog scaling — time for the delivery loop's claim statement to lease one batch
// with 1,000 vs 1,000,000 pending rows. In-process (it is one SQLite statement; sockets
// would only add noise). Each claim runs inside BEGIN … ROLLBACK so the backlog stays the
// same size; the 1,000-row database is the baseline. Target: ≤ 1.2× the baseline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase, type Db } from "../../src/db/client";
import type { SqliteDeliveryQueue } from "../../src/db/sqlite/delivery-queue";
import { SqliteStore } from "../../src/db/sqlite/store";
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";
import { seedBacklog } from "./lib/seed";

export const name = "claim-scaling";
const TARGET = 1.2;
/** What the loop asks for at the default DELIVERY_CONCURRENCY of 64 (it claims up to 2×). */
const BATCH = 128;
const SIZES = [1_000, 1_000_000];

const queues = new WeakMap<Db, SqliteDeliveryQueue>();

async function claimOnceMs(db: Db): Promise<number> {
  const sqlite = db.$client;
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = new SqliteStore(db).queue));
  sqlite.exec("BEGIN IMMEDIATE");
  try {
    const started = performance.now();
    const claimed = (await queue.recordAndClaim([], { now: Date.now(), limit: BATCH, leaseMs: 60_000 })).deliveries;
    const elapsed = performance.now() - started;
    if (claimed.length !== BATCH) throw new Error(`claimed ${claimed.length} rows, expected ${BATCH}`);
    return elapsed;
  } finally {
    sqlite.exec("ROLLBACK");
  }
}

export async function run(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_CLAIM_ROUNDS ?? 50);
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-claim-"));
  const dbs: Db[] = [];
  const seeding: number[] = [];
  const times: number[][] = SIZES.map(() => []);
  try {
    for (const size of SIZES) {
      const path = join(dir, `backlog-${size}.db`);
      seeding.push(seedBacklog(path, { webhookUrl: "http://127.0.0.1:9/unused", pending: size }).seconds);
      dbs.push(openDatabase(path));
    }
    for (const db of dbs) for (let i = 0; i < 5; i++) await claimOnceMs(db); // warm page cache
    // Interleaved, so machine noise lands on both sizes alike.
    for (let r = 0; r < rounds; r++) for (const [i, db] of dbs.entries()) times[i]!.push(await claimOnceMs(db));
  } finally {
    for (const db of dbs) closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
  const medians = times.map(median);
  const ratio = medians[1]! / medians[0]!;
  printTable(
    `Bench 5 — claim a batch of ${BATCH} (median of ${rounds}; ratio ${fmt(ratio, 2)}, target ≤ ${TARGET})`,
    ["pending rows", "median ms", "p90 ms", "min ms", "seed s"],
    SIZES.map((size, i) => {
      const s = [...times[i]!].sort((a, b) => a - b);
      return [fmt(size) + (i === 0 ? " (baseline)" : ""), fmt(medians[i]!, 3), fmt(s[Math.floor(s.length * 0.9)]!, 3), fmt(s[0]!, 3), fmt(seeding[i]!, 1)];
    }),
  );
  return {
    bench: name,
    target: `ratio ≤ ${TARGET}`,
    pass: ratio <= TARGET,
    ratio,
    batch: BATCH,
    rounds,
    sizes: Object.fromEntries(SIZES.map((size, i) => [size, { medianMs: medians[i], runsMs: times[i], seedSeconds: seeding[i] }])),
  };
}

if (import.meta.main) writeResult(await run());
