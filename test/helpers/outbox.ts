// Seeds events with their deliveries straight through the SQLite outbox (db/sqlite/outbox.ts),
// synchronously, for tests that need many rows or rows at given times without the API.
import type { NewEvent, OutboxTarget } from "../../src/db/aggregates/publish";
import type { Db } from "../../src/db/client";
import { SqliteOutbox } from "../../src/db/sqlite/outbox";

const enqueuers = new WeakMap<Db, (event: NewEvent, targets: readonly OutboxTarget[]) => string[]>();

/** The event and its deliveries (due at once), in a transaction of their own or the caller's; the delivery ids. */
export function enqueueEvent(db: Db, event: NewEvent, targets: OutboxTarget[]): string[] {
  let enqueue = enqueuers.get(db);
  if (!enqueue) {
    const outbox = new SqliteOutbox(db.$client);
    enqueue = db.$client.transaction((e: NewEvent, ts: readonly OutboxTarget[]) => outbox.enqueue(e, ts));
    enqueuers.set(db, enqueue);
  }
  return enqueue(event, targets);
}
