// Group commit: writes that arrive together share one SQLite transaction. A commit in WAL
// mode costs a handful of system calls (locks, one write per page) whatever it holds, so under
// concurrent load N requests committing together pay for one commit instead of N
// (test/bench/RESULTS.md). Each write runs in its own savepoint: one that throws is rolled
// back and rejected alone, the others still commit. Callers are answered only after the
// shared COMMIT succeeded, so "the API answers after the commit" still holds.
// When another process holds the write lock, the batch waits for it without blocking the event
// loop: each try waits at most the server's short busy timeout, and the next try is a timer
// away (db/busy.ts). A write still not committed after WRITE_LOCK_PATIENCE_MS is rejected with
// the busy error (the API answers 503); nothing of it was stored.
import { isDatabaseBusy, noteWriteLockHeld, WRITE_LOCK_PATIENCE_MS } from "./busy";
import type { Db } from "./client";

interface Pending {
  write: () => unknown;
  /** Runs without a savepoint of its own (see CommitOptions.singleStatement). */
  bare: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Past this (Date.now()), a busy database rejects the write instead of retrying it. */
  giveUpAt: number;
}

interface Batcher {
  db: Db;
  queue: Pending[];
  scheduled: boolean;
  /** The pause before the next try while the write lock is held elsewhere; 0 when not waiting. */
  retryDelayMs: number;
  /** Built once per database: better-sqlite3 makes new wrapper functions on every transaction() call. */
  commitAll: { immediate(batch: Pending[], outcomes: { ok: boolean; value: unknown }[]): void };
}

const batchers = new WeakMap<Db, Batcher>();

export interface CommitOptions {
  /**
   * The write is at most one statement, and anything it throws before that statement leaves
   * nothing written. SQLite undoes a failed statement by itself without ending the transaction,
   * so such a write needs no savepoint, and skipping the two statements one costs (SAVEPOINT,
   * RELEASE) is a measurable share of an in-process create (test/bench/RESULTS.md).
   */
  singleStatement?: boolean;
}

/** Runs `write` (synchronous database work) in the next group commit and returns its result. */
export function commitSoon<T>(db: Db, write: () => T, options: CommitOptions = {}): Promise<T> {
  let batcher = batchers.get(db);
  if (!batcher) {
    // better-sqlite3 runs a transaction() called inside another as a savepoint.
    const inSavepoint = db.$client.transaction((write: () => unknown) => write());
    const commitAll = db.$client.transaction((batch: Pending[], outcomes: { ok: boolean; value: unknown }[]) => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: item.bare ? item.write() : inSavepoint(item.write) });
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite roll back the whole transaction, not just
          // the statement: the writes before this one are gone too, and the ones after would
          // run outside any transaction. Fail the whole batch instead.
          if (!db.$client.inTransaction) throw error;
          outcomes.push({ ok: false, value: error });
        }
      }
    });
    batcher = { db, queue: [], scheduled: false, retryDelayMs: 0, commitAll };
    batchers.set(db, batcher);
  }
  const b = batcher;
  return new Promise<T>((resolve, reject) => {
    b.queue.push({
      write,
      bare: options.singleStatement === true,
      resolve: resolve as (value: unknown) => void,
      reject,
      giveUpAt: Date.now() + WRITE_LOCK_PATIENCE_MS,
    });
    if (!b.scheduled) {
      b.scheduled = true;
      // setImmediate runs after the I/O of this event-loop turn, so every request that
      // reached its write in this turn joins the same transaction.
      setImmediate(() => flush(b));
    }
  });
}

function flush(batcher: Batcher): void {
  const batch = batcher.queue;
  batcher.queue = [];
  batcher.scheduled = false;
  const outcomes: { ok: boolean; value: unknown }[] = [];
  try {
    // IMMEDIATE takes the write lock before the first read: writes that read then insert
    // (idempotency checks) cannot hit SQLITE_BUSY_SNAPSHOT when another process (the CLI)
    // committed in between, an error the busy timeout does not retry.
    batcher.commitAll.immediate(batch, outcomes);
  } catch (error) {
    // The shared COMMIT failed: nothing in the batch was stored.
    if (isDatabaseBusy(error)) return retryLater(batcher, batch, error);
    for (const item of batch) item.reject(error);
    return;
  }
  batcher.retryDelayMs = 0;
  batch.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
}

const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 200;

/** Another process holds the write lock: the batch goes first in the next try, a timer away. */
function retryLater(batcher: Batcher, batch: Pending[], error: unknown): void {
  noteWriteLockHeld(batcher.db);
  const now = Date.now();
  const waiting = batch.filter((item) => {
    if (item.giveUpAt > now) return true;
    item.reject(error);
    return false;
  });
  batcher.queue = waiting.concat(batcher.queue);
  if (batcher.queue.length === 0) {
    batcher.retryDelayMs = 0;
    return;
  }
  batcher.retryDelayMs = Math.min(Math.max(FIRST_RETRY_MS, batcher.retryDelayMs * 2), MAX_RETRY_MS);
  // `scheduled` stays set while the timer runs, so new writes join the retry instead of trying now.
  batcher.scheduled = true;
  setTimeout(() => flush(batcher), batcher.retryDelayMs);
}
