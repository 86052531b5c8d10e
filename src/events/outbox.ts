// The transactional outbox: an event row plus one delivery row per target, written in one
// transaction by whoever publishes (the events API, webhook tests, traffic-source alerts).
// The delivery loop only ever reads the deliveries table, so anything committed here is
// delivered or visibly failed, whatever happens to the process afterwards.
// Prepared statements (compiled once per database) keep fan-out to many targets cheap.
import type { Database, Statement } from "better-sqlite3";
import type { Db } from "../db/client";
import { newId } from "../ids";

export type OutboxTarget = { transport: "http"; webhookId: string } | { transport: "discord"; alertWebhookId: string };

export interface NewEvent {
  id: string;
  type: string;
  /** The exact bytes every target receives (for http: `{"id","type","created_at","data"}`). */
  body: string;
  idempotencyKey?: string | null;
  createdAt: number;
}

interface OutboxStatements {
  event: Statement;
  delivery: Statement;
}

const cache = new WeakMap<Database, OutboxStatements>();

function statements(sqlite: Database): OutboxStatements {
  let s = cache.get(sqlite);
  if (!s) {
    s = {
      event: sqlite.prepare(`INSERT INTO events (id, type, body, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?)`),
      delivery: sqlite.prepare(
        `INSERT INTO deliveries (id, event_id, transport, webhook_id, alert_webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      ),
    };
    cache.set(sqlite, s);
  }
  return s;
}

/**
 * Inserts the event and its deliveries (due at once) and returns the delivery ids. Atomic on its
 * own; inside an enclosing db.transaction() it commits with the caller's other writes.
 */
export function enqueueEvent(db: Db, event: NewEvent, targets: OutboxTarget[]): string[] {
  const s = statements(db.$client);
  return db.$client.transaction(() => {
    s.event.run(event.id, event.type, event.body, event.idempotencyKey ?? null, event.createdAt);
    const ids: string[] = [];
    for (const target of targets) {
      const id = newId("dlv");
      const webhookId = target.transport === "http" ? target.webhookId : null;
      const alertWebhookId = target.transport === "discord" ? target.alertWebhookId : null;
      s.delivery.run(id, event.id, target.transport, webhookId, alertWebhookId, event.createdAt, event.createdAt, event.createdAt);
      ids.push(id);
    }
    return ids;
  })();
}
