// The transactional outbox: an event row plus one delivery row per target, written in one
// transaction by whoever publishes (the events API, webhook tests, traffic-source alerts).
// The delivery loop only ever reads the deliveries table, so anything committed here is
// delivered or visibly failed, whatever happens to the process afterwards.
// Prepared statements (compiled once per database) keep fan-out to many targets cheap.
import type { Database, Statement } from "better-sqlite3";
import type { Db } from "../db/client";
import { DEFAULT_TENANT } from "../db/schema";
import { newSortableId } from "../ids";

export type OutboxTarget = { transport: "http"; webhookId: string } | { transport: "discord"; trafficSourceWebhookId: string };

export interface NewEvent {
  /** The row's key. */
  id: string;
  /** The id publishers and receivers see (`webhook-id`); `id` when absent. */
  publicId?: string;
  /** `default` when absent (traffic-source alerts, for one). */
  tenantId?: string;
  /** What a replay of the same idempotency key is compared with (events/service.ts). */
  requestHash?: string | null;
  /** The traffic source of an alert. */
  sourceId?: string;
  type: string;
  /** The exact bytes every target receives (for http: `{"id","type","created_at","data"}`). */
  body: string;
  idempotencyKey?: string | null;
  createdAt: number;
  /** W3C `traceparent` of the publish (events.trace_parent). */
  traceParent?: string | null;
}

interface OutboxStatements {
  event: Statement;
  delivery: Statement;
  /** Built once: better-sqlite3 builds a new wrapper (several property definitions) per transaction() call. */
  enqueue: (event: NewEvent, targets: OutboxTarget[]) => string[];
}

const cache = new WeakMap<Database, OutboxStatements>();

function statements(sqlite: Database): OutboxStatements {
  let s = cache.get(sqlite);
  if (!s) {
    const event = sqlite.prepare(
      `INSERT INTO events (id, public_id, tenant_id, type, body, idempotency_key, request_hash, source_id, created_at, trace_parent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const delivery = sqlite.prepare(
      `INSERT INTO deliveries (id, event_id, tenant_id, transport, webhook_id, traffic_source_webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
    );
    const enqueue = sqlite.transaction((e: NewEvent, targets: OutboxTarget[]) => {
      const tenantId = e.tenantId ?? DEFAULT_TENANT;
      event.run(e.id, e.publicId ?? e.id, tenantId, e.type, e.body, e.idempotencyKey ?? null, e.requestHash ?? null, e.sourceId ?? null, e.createdAt, e.traceParent ?? null);
      const ids: string[] = [];
      for (const target of targets) {
        const id = newSortableId("dlv", e.createdAt);
        const webhookId = target.transport === "http" ? target.webhookId : null;
        const trafficSourceWebhookId = target.transport === "discord" ? target.trafficSourceWebhookId : null;
        delivery.run(id, e.id, tenantId, target.transport, webhookId, trafficSourceWebhookId, e.createdAt, e.createdAt, e.createdAt);
        ids.push(id);
      }
      return ids;
    });
    s = { event, delivery, enqueue };
    cache.set(sqlite, s);
  }
  return s;
}

/**
 * Inserts the event and its deliveries (due at once) and returns the delivery ids. Atomic on its
 * own; inside an enclosing db.transaction() it commits with the caller's other writes.
 */
export function enqueueEvent(db: Db, event: NewEvent, targets: OutboxTarget[]): string[] {
  return statements(db.$client).enqueue(event, targets);
}
