// The outbox's two inserts on SQLite, compiled once per connection owner. Synchronous, so a
// store whose own transaction also writes an event (a webhook test, a traffic-source alert)
// runs them inside it.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { NewEvent, OutboxTarget } from "../aggregates/publish";
import { DEFAULT_TENANT, deliveries as d, events as e, webhooks as w } from "../schema";
import { newSortableId } from "../../ids";
import { bare, compile, param } from "./sql";

export class SqliteOutbox {
  private readonly event;
  private readonly delivery;

  constructor(sqlite: Database) {
    this.event = compile(
      sqlite,
      sql`INSERT INTO ${e} (${bare(e.id)}, ${bare(e.publicId)}, ${bare(e.tenantId)}, ${bare(e.type)}, ${bare(e.body)}, ${bare(e.idempotencyKey)},
            ${bare(e.requestHash)}, ${bare(e.sourceId)}, ${bare(e.createdAt)}, ${bare(e.traceParent)})
          VALUES (${param("id")}, ${param("publicId")}, ${param("tenantId")}, ${param("type")}, ${param("body")}, ${param("idempotencyKey")},
            ${param("requestHash")}, ${param("sourceId")}, ${param("at")}, ${param("traceParent")})`,
    );
    this.delivery = compile(
      sqlite,
      sql`INSERT INTO ${d} (${bare(d.id)}, ${bare(d.eventId)}, ${bare(d.tenantId)}, ${bare(d.transport)}, ${bare(d.webhookId)}, ${bare(d.trafficSourceWebhookId)},
            ${bare(d.status)}, ${bare(d.attempts)}, ${bare(d.nextAttemptAt)}, ${bare(d.createdAt)}, ${bare(d.updatedAt)}, ${bare(d.fifo)})
          VALUES (${param("id")}, ${param("eventId")}, ${param("tenantId")}, ${param("transport")}, ${param("webhookId")}, ${param("trafficSourceWebhookId")},
            'pending', 0, ${param("at")}, ${param("at")}, ${param("at")},
            -- The webhook's ordering, copied for the claim (schema.ts): as the caller read it, else looked up.
            coalesce(${param("fifo")}, (SELECT ${w.ordering} = 'fifo' FROM ${w} WHERE ${w.id} = ${param("webhookId")}), 0))`,
    );
  }

  /** Inserts the event and its deliveries, due at once; the caller holds the transaction. */
  enqueue(ev: NewEvent, targets: readonly OutboxTarget[]): string[] {
    const tenantId = ev.tenantId ?? DEFAULT_TENANT;
    const at = ev.createdAt;
    this.event.run({
      id: ev.id,
      publicId: ev.publicId ?? ev.id,
      tenantId,
      type: ev.type,
      body: ev.body,
      idempotencyKey: ev.idempotencyKey ?? null,
      requestHash: ev.requestHash ?? null,
      sourceId: ev.sourceId ?? null,
      at,
      traceParent: ev.traceParent ?? null,
    });
    const ids: string[] = [];
    for (const target of targets) {
      const id = newSortableId("dlv", at);
      const webhookId = target.transport === "http" ? target.webhookId : null;
      const trafficSourceWebhookId = target.transport === "discord" ? target.trafficSourceWebhookId : null;
      const fifo = target.transport === "http" && target.fifo !== undefined ? Number(target.fifo) : null;
      this.delivery.run({ id, eventId: ev.id, tenantId, transport: target.transport, webhookId, trafficSourceWebhookId, at, fifo });
      ids.push(id);
    }
    return ids;
  }
}
