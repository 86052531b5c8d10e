// The transactional outbox: an event row plus one delivery row per target, written in one
// transaction by whoever publishes (the events API, webhook tests, traffic-source alerts).
// The delivery loop only ever reads the deliveries table, so anything committed here is
// delivered or visibly failed, whatever happens to the process afterwards.
import type { Db } from "../db/client";
import { deliveries, events } from "../db/schema";
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

/** Inserts the event and its deliveries; call inside db.transaction() when more must commit with it. */
export function enqueueEvent(db: Db, event: NewEvent, targets: OutboxTarget[]): string[] {
  db.insert(events)
    .values({ id: event.id, type: event.type, body: event.body, idempotencyKey: event.idempotencyKey ?? null, createdAt: event.createdAt })
    .run();
  if (targets.length === 0) return [];
  const rows = targets.map((target) => ({
    id: newId("dlv"),
    eventId: event.id,
    transport: target.transport,
    webhookId: target.transport === "http" ? target.webhookId : null,
    alertWebhookId: target.transport === "discord" ? target.alertWebhookId : null,
    status: "pending" as const,
    attempts: 0,
    nextAttemptAt: event.createdAt,
    createdAt: event.createdAt,
    updatedAt: event.createdAt,
  }));
  db.insert(deliveries).values(rows).run();
  return rows.map((r) => r.id);
}
