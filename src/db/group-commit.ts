// Group commit: writes that arrive together share one SQLite transaction. A commit in WAL
// mode costs a handful of system calls (locks, one write per page) whatever it holds, so under
// concurrent load N requests committing together pay for one commit instead of N
// (test/bench/RESULTS.md). Each write runs in its own savepoint: one that throws is rolled
// back and rejected alone, the others still commit. Callers are answered only after the
// shared COMMIT succeeded, so "the API answers after the commit" still holds.
import type { Db } from "./client";

interface Pending {
  write: () => unknown;
  /** Runs without a savepoint of its own (see CommitOptions.singleStatement). */
  bare: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Batcher {
  queue: Pending[];
  scheduled: boolean;
  /** Built once per database: better-sqlite3 makes new wrapper functions on every transaction() call. */
  commitAll: { immediate(batch: Pending[], outcomes: { ok: boolean; value: unknown }[]): void };
}

const batchers = new WeakMap<Db, Batcher>();

export interface CommitOptions {
  /**
   * The write is at most one statement, and anything it throws before that statement leaves
   * nothing written. SQLite undoes a failed statement by itself without ending the transaction,
   * so such a write needs no savepoint; the two statements one costs (SAVEPOINT, RELEASE) were
   * ~4 of the ~28 µs an in-process create takes.
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
    batcher = { queue: [], scheduled: false, commitAll };
    batchers.set(db, batcher);
  }
  const b = batcher;
  return new Promise<T>((resolve, reject) => {
    b.queue.push({ write, bare: options.singleStatement === true, resolve: resolve as (value: unknown) => void, reject });
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
    // The shared COMMIT failed: nothing in the batch was stored (caches built inside it were
    // told so by the transaction itself, db/rollback.ts).
    for (const item of batch) item.reject(error);
    return;
  }
  batch.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
}
