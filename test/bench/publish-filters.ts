// Bench 9: what webhook filters cost a publish — events/s published to 10,000 webhooks all
// subscribed to the type, with no filter (the baseline) and with a filter on every webhook
// that lets the event through, so both sides write the same 10,000 deliveries per event.
// In-process, through the publish service and the SQLite store with its group commit
// (sockets and the delivery loop would only add noise to a difference made inside one
// transaction). Cases are separate databases, interleaved round by round, and each round
// starts from an empty deliveries table. Target: with filters ≥ 0.8× the baseline.
// Reported beside it, no target: 10,000 distinct filters (no two webhooks share a filter
// text, so each publish runs 10,000 matchers), and filters that let nothing through.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase, type Db } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { SqliteStore } from "../../src/db/sqlite/store";
import { publishEvent } from "../../src/events/service";
import { fmt, median, printTable, writeResult, type BenchResult } from "./lib/report";

export const name = "publish-filters";
const TARGET = 0.8;
const WEBHOOKS = 10_000;
const DATA = { link_id: "lnk_42", short_url: "https://sho.rt/abc", amount: 150, geo: { country: "FR" } };

interface Case {
  label: string;
  /** The filter of webhook i, or null for none. */
  filterOf: (i: number) => unknown;
  target?: boolean;
}
const CASES: Case[] = [
  { label: "no filter (baseline)", filterOf: () => null },
  // 100 distinct filters, as many tenants' webhooks would share a few conditions.
  { label: "a filter on every webhook (100 distinct), all matching", filterOf: (i) => ({ amount: { $gte: i % 100 }, "geo.country": { $in: ["FR", "DE"] } }), target: true },
  { label: "10,000 distinct filters, all matching", filterOf: (i) => ({ amount: { $gte: i % 100 }, link_id: { $ne: `lnk_other_${i}` } }) },
  { label: "a filter on every webhook, none matching", filterOf: (i) => ({ amount: { $lt: i % 100 } }) },
];

function seed(db: Db, filterOf: (i: number) => unknown): void {
  const sqlite = db.$client;
  const now = Date.now();
  const insert = sqlite.prepare(
    `INSERT INTO webhooks (id, url, events, active, metadata, secret, last_success_at, created_at, updated_at, filter)
     VALUES (?, ?, '["link.clicked"]', 1, '{}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ?, ?, ?, ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < WEBHOOKS; i++) {
      const filter = filterOf(i);
      insert.run(`whk_bench${String(i).padStart(8, "0")}`, `http://127.0.0.1:9/${i}`, now, now, now, filter === null ? null : JSON.stringify(filter));
    }
  })();
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
}

export async function run(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const perRound = Number(process.env.BENCH_FILTER_PUBLISHES ?? 10);
  const dir = mkdtempSync(join(tmpdir(), "hookrelay-bench-filters-"));
  const subjects: { db: Db; store: SqliteStore; c: Case; rates: number[]; deliveries: number }[] = [];
  try {
    for (const [i, c] of CASES.entries()) {
      const db = openDatabase(join(dir, `case-${i}.db`));
      migrateDatabase(db);
      seed(db, c.filterOf);
      subjects.push({ db, store: new SqliteStore(db), c, rates: [], deliveries: 0 });
    }
    const publishRound = async (s: (typeof subjects)[number], count: number) => {
      s.db.$client.exec("DELETE FROM deliveries");
      s.db.$client.pragma("wal_checkpoint(TRUNCATE)");
      const started = performance.now();
      for (let n = 0; n < count; n++) {
        const { event } = await publishEvent(s.store, "default", { type: "link.clicked", data: DATA }, undefined);
        s.deliveries = event.deliveries;
      }
      return count / ((performance.now() - started) / 1000);
    };
    for (const s of subjects) await publishRound(s, 2); // warm caches and compiled matchers
    // Interleaved, so machine noise lands on every case alike.
    for (let r = 0; r < rounds; r++) for (const s of subjects) s.rates.push(await publishRound(s, perRound));
  } finally {
    for (const s of subjects) closeDatabase(s.db);
    rmSync(dir, { recursive: true, force: true });
  }
  const baseline = median(subjects[0]!.rates);
  const ratioOf = (s: (typeof subjects)[number]) => median(s.rates) / baseline;
  const targeted = subjects.find((s) => s.c.target)!;
  printTable(
    `Bench 9 — publish to ${fmt(WEBHOOKS)} subscribed webhooks, with and without filters (${rounds}×${perRound} publishes; ratio ${fmt(ratioOf(targeted), 2)}, target ≥ ${TARGET})`,
    ["case", "per round /s", "median events/s", "deliveries per event", "vs baseline"],
    subjects.map((s) => [s.c.label, s.rates.map((r) => fmt(r, 1)).join(" / "), fmt(median(s.rates), 1), fmt(s.deliveries), fmt(ratioOf(s), 2)]),
  );
  return {
    bench: name,
    target: `a filter on every webhook ≥ ${TARGET}× no filter`,
    pass: ratioOf(targeted) >= TARGET,
    ratio: ratioOf(targeted),
    webhooks: WEBHOOKS,
    rounds,
    publishesPerRound: perRound,
    cases: Object.fromEntries(subjects.map((s) => [s.c.label, { medianEventsPerSec: median(s.rates), ratio: ratioOf(s), deliveriesPerEvent: s.deliveries, runs: s.rates }])),
  };
}

if (import.meta.main) writeResult(await run());
