// Bench 8: reads of a large log — the first and a deep page of the event log and of the
// delivery search, and a search for a rare status, with 1,000,000 deliveries (one event each)
// against the same reads with 1,000. In-process through app.handle (the route, its validation
// and the query; sockets would only add noise). Each list walks an index (docs/api-guide.md):
// events_tenant_created_idx, deliveries_tenant_created_idx; the status filter is checked on the
// rows of a bounded window. The 1,000-row database is the baseline; reported, no target.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { closeDatabase, openDatabase, type Db } from "../../src/db/client";
import { createLogger } from "../../src/log";
import { AppMetrics } from "../../src/metrics/app-metrics";
import { ADMIN_KEY } from "./lib/processes";
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";
import { seedBacklog } from "./lib/seed";
import { SqliteStore } from "../../src/db/sqlite/store";

export const name = "log-reads";
const SIZES = [1_000, 1_000_000];

interface Read {
  label: string;
  /** The path for a database of `size` rows (deep pages start at 90 % of the way down). */
  path(size: number): string;
}

const cursorAt = (rowid: number) => Buffer.from(`r${rowid}`).toString("base64url");
const READS: Read[] = [
  { label: "events, first page", path: () => "/api/v1/events?limit=100" },
  { label: "events, deep page (90 %)", path: (n) => `/api/v1/events?limit=100&cursor=${cursorAt(Math.floor(n * 0.1))}` },
  { label: "deliveries, first page", path: () => "/api/v1/deliveries?limit=100" },
  { label: "deliveries, deep page (90 %)", path: (n) => `/api/v1/deliveries?limit=100&cursor=${cursorAt(Math.floor(n * 0.1))}` },
  { label: "deliveries, status=failed (0.1 %)", path: () => "/api/v1/deliveries?limit=100&status=failed" },
  { label: "deliveries of one webhook, deep page", path: (n) => `/api/v1/links/webhooks/whk_benchReceiver0001/deliveries?limit=100&cursor=${cursorAt(Math.floor(n * 0.1))}` },
];

async function timeMs(app: ReturnType<typeof buildApp>, path: string): Promise<number> {
  const request = new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const started = performance.now();
  const res = await app.handle(request);
  const body = await res.text();
  const elapsed = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  return elapsed;
}

export async function run(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_LOG_ROUNDS ?? 30);
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-log-"));
  const dbs: Db[] = [];
  const apps: ReturnType<typeof buildApp>[] = [];
  const times = SIZES.map(() => READS.map(() => [] as number[]));
  try {
    for (const size of SIZES) {
      const path = join(dir, `log-${size}.db`);
      seedBacklog(path, { webhookUrl: "http://127.0.0.1:9/unused", pending: size });
      const db = openDatabase(path);
      // Most of the log delivered, one in a thousand failed.
      db.$client.exec(`UPDATE deliveries SET status = CASE WHEN rowid % 1000 = 0 THEN 'failed' ELSE 'delivered' END`);
      dbs.push(db);
      const config = loadConfig({ DATABASE_PATH: path });
      apps.push(buildApp({ config, db, store: new SqliteStore(db), logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: () => {} }));
    }
    for (let s = 0; s < SIZES.length; s++) for (const read of READS) for (let i = 0; i < 3; i++) await timeMs(apps[s]!, read.path(SIZES[s]!));
    // Interleaved, so machine noise lands on both sizes alike.
    for (let r = 0; r < rounds; r++) {
      for (let s = 0; s < SIZES.length; s++) {
        for (let q = 0; q < READS.length; q++) times[s]![q]!.push(await timeMs(apps[s]!, READS[q]!.path(SIZES[s]!)));
      }
    }
  } finally {
    for (const db of dbs) closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
  const medians = times.map((bySize) => bySize.map(median));
  printTable(
    `Bench 8 — log reads, 100 rows a page (median ms of ${rounds}); 1,000 rows is the baseline`,
    ["read", "1,000 rows", "1,000,000 rows", "ratio"],
    READS.map((read, q) => [read.label, fmt(medians[0]![q]!, 3), fmt(medians[1]![q]!, 3), fmt(medians[1]![q]! / medians[0]![q]!, 2)]),
  );
  return {
    bench: name,
    target: "reported (each read on an index)",
    pass: true,
    reads: Object.fromEntries(READS.map((read, q) => [read.label, { small: medians[0]![q], large: medians[1]![q], ratio: medians[1]![q]! / medians[0]![q]! }])),
  };
}

if (import.meta.main) writeResult(await run());
