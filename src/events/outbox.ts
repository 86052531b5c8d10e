// For the writers not yet behind the Store (a webhook test, a traffic-source alert), which write
// their event inside a transaction of their own on `db`: the outbox's inserts (db/sqlite/outbox.ts)
// run there synchronously. Publishing itself goes through `deps.store.publish`.
import type { Db } from "../db/client";
import type { NewEvent, OutboxTarget } from "../db/aggregates/publish";
import { SqliteOutbox } from "../db/sqlite/outbox";

export type { NewEvent, OutboxTarget } from "../db/aggregates/publish";

/** Built once per connection: better-sqlite3 makes a new wrapper on every transaction() call. */
const enqueuers = new WeakMap<Db, (event: NewEvent, targets: readonly OutboxTarget[]) => string[]>();

/**
 * Inserts the event and its deliveries (due at once) and returns the delivery ids. Atomic on its
 * own; inside an enclosing db.transaction() it commits with the caller's other writes.
 */
export function enqueueEvent(db: Db, event: NewEvent, targets: OutboxTarget[]): string[] {
  let enqueue = enqueuers.get(db);
  if (!enqueue) {
    const outbox = new SqliteOutbox(db.$client);
    enqueue = db.$client.transaction((e: NewEvent, ts: readonly OutboxTarget[]) => outbox.enqueue(e, ts));
    enqueuers.set(db, enqueue);
  }
  return enqueue(event, targets);
}
