// The background checkpointer: with it, commits no longer checkpoint, yet committed pages reach
// the main database file; without it (it cannot start), SQLite's own checkpoints stay on.
import { afterEach, expect, test } from "bun:test";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { startCheckpointer } from "../src/db/checkpointer";
import { closeDatabase, openDatabase, type Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { createLogger } from "../src/log";
import { tempDir } from "./helpers/app";

const lines: string[] = [];
const logger = createLogger("info", (line) => void lines.push(line));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  lines.length = 0;
});

function freshDb(): { db: Db; path: string } {
  const dir = tempDir("hookrelay-ckpt-");
  const path = join(dir, "t.db");
  const db = openDatabase(path);
  migrateDatabase(db);
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => closeDatabase(db));
  return { db, path };
}

function write(db: Db, rows: number): void {
  db.$client.exec("CREATE TABLE IF NOT EXISTS filler (x TEXT)");
  const insert = db.$client.prepare("INSERT INTO filler VALUES (?)");
  // Many small commits, like requests: each would be a chance for a commit-time checkpoint.
  for (let i = 0; i < rows; i++) insert.run("x".repeat(400));
}

test("commits stop checkpointing, and the worker moves committed pages into the main file", async () => {
  const { db, path } = freshDb();
  const checkpointer = await startCheckpointer(db, path, logger);
  expect(checkpointer).toBeDefined();
  expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
  const before = statSync(path).size;
  write(db, 5000); // ~2 MB: past SQLite's 1,000-page commit-time threshold
  const deadline = Date.now() + 5000;
  // The worker may move the pages over in more than one pass: wait for all of them, not the first.
  while (statSync(path).size <= before + 1_000_000 && Date.now() < deadline) await Bun.sleep(50);
  expect(statSync(path).size).toBeGreaterThan(before + 1_000_000);
  await checkpointer!.stop();
  expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  expect(db.$client.prepare("SELECT count(*) FROM filler").pluck().get()).toBe(5000);
});

test("a worker that cannot open the database leaves SQLite's own checkpoints on", async () => {
  const { db, path } = freshDb();
  const checkpointer = await startCheckpointer(db, `${path}.missing`, logger);
  expect(checkpointer).toBeUndefined();
  expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  expect(lines.join("")).toContain("checkpointer: worker unavailable");
});

test("in-memory databases have no checkpointer", async () => {
  const db = openDatabase(":memory:");
  cleanups.push(() => closeDatabase(db));
  expect(await startCheckpointer(db, ":memory:", logger)).toBeUndefined();
});

test("under writes that never pause, the WAL is started over instead of growing without end", async () => {
  const { db, path } = freshDb();
  const checkpointer = await startCheckpointer(db, path, logger);
  expect(checkpointer).toBeDefined();
  db.$client.exec("CREATE TABLE filler (x TEXT)");
  const insert = db.$client.prepare("INSERT INTO filler VALUES (?)");
  const batch = db.$client.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run("x".repeat(1000));
  });
  // ~120 MB of commits with a moment between them, like a busy server's group commits: without
  // a restart the WAL holds every one of them.
  let largestWal = 0;
  for (let i = 0; i < 1200; i++) {
    batch();
    largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    await Bun.sleep(1);
  }
  await checkpointer!.stop();
  expect(db.$client.prepare("SELECT count(*) FROM filler").pluck().get()).toBe(120_000);
  // Bounded by the restart threshold (16 MiB of 4 KiB pages) plus what a few ticks add, far
  // below the ~120 MB written.
  expect(largestWal).toBeLessThan(64 * 1024 * 1024);
}, 60_000);
