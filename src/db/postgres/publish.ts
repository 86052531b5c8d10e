// Publishing on PostgreSQL, race-free without SQLite's write lock: the event goes in with
// ON CONFLICT DO NOTHING, which covers every unique index of `events` (the per-tenant
// idempotency key, a partial index, and the per-tenant public id). Two nodes publishing the
// same key at once: the second insert waits for the first to commit, then does nothing, and
// the second publish answers with the first's event. One transaction per event: the event,
// read back the subscribers in the same statement, then one statement for all its deliveries.
// Subscribers' filters come back with them only when one of them has a filter, and are matched
// between the two statements (links/filter.ts).
// A commit with deliveries notifies DELIVERY_CHANNEL, so a listening node can start at once.
import type { SQL as BunSQL } from "bun";
import { sql, type SQL } from "drizzle-orm";
import { newSortableId } from "../../ids";
import type { NewEvent, OutboxTarget, PublishOutcome, PublishRequest, PublishStore, ReplayedEvent } from "../aggregates/publish";
import { DEFAULT_TENANT } from "../schema";
import { deliveries as d, events as e, webhookEventTypes as s, webhooks as w } from "./schema";
import { bare, compile, int8, param, type Runner } from "./sql";
import { eventDataOf, FilterMatchers } from "../../links/filter";

/** The LISTEN/NOTIFY channel of "new deliveries are due". */
export const DELIVERY_CHANNEL = "hookrelay_deliveries";

interface Subscribers {
  webhooks: string[];
  filters: (string | null)[] | null;
}

interface ReplayRow {
  id: string;
  public_id: string;
  type: string;
  created_at: string | number;
  request_hash: string | null;
  deliveries: number;
}

function statements() {
  const eventColumns = sql`${bare(e.id)}, ${bare(e.publicId)}, ${bare(e.tenantId)}, ${bare(e.type)}, ${bare(e.body)}, ${bare(e.idempotencyKey)},
                           ${bare(e.requestHash)}, ${bare(e.sourceId)}, ${bare(e.createdAt)}, ${bare(e.traceParent)}`;
  const eventValues = sql`${param("id")}, ${param("publicId")}, ${param("tenantId")}, ${param("type")}, ${param("body")}, ${param("idempotencyKey")},
                          ${param("requestHash")}, ${param("sourceId")}, ${param("at")}::int8, ${param("traceParent")}`;
  /** One delivery per element of the arrays, due at once, then the wake-up. */
  const insertDeliveries = (after: ReturnType<typeof sql>) => sql`
    ${after}
    dlv AS (
      INSERT INTO ${d} (${bare(d.id)}, ${bare(d.eventId)}, ${bare(d.tenantId)}, ${bare(d.transport)}, ${bare(d.webhookId)}, ${bare(d.trafficSourceWebhookId)},
                        ${bare(d.status)}, ${bare(d.attempts)}, ${bare(d.nextAttemptAt)}, ${bare(d.createdAt)}, ${bare(d.updatedAt)}, ${bare(d.fifo)})
      SELECT t.id, ${param("id")}, ${param("tenantId")}, t.transport, t.webhook_id, t.traffic_source_webhook_id, 'pending', 0, ${param("at")}::int8, ${param("at")}::int8, ${param("at")}::int8,
             coalesce(${w.ordering} = 'fifo', false)
        FROM unnest(${param("deliveryIds")}::text[], ${param("transports")}::text[], ${param("webhookIds")}::text[], ${param("trafficSourceWebhookIds")}::text[])
             WITH ORDINALITY AS t(id, transport, webhook_id, traffic_source_webhook_id, ord)
        -- The webhook's ordering, copied for the claim (schema.ts).
        LEFT JOIN ${w} ON ${w.id} = t.webhook_id
       -- In the order given, so \`seq\` is publish order.
       ORDER BY t.ord
      RETURNING 1
    )
    SELECT count(*)::int AS n, pg_notify(${sql.raw(`'${DELIVERY_CHANNEL}'`)}, '') FROM dlv`;
  const replayColumns = sql`${e.id}, coalesce(${e.publicId}, ${e.id}) AS public_id, ${e.type}, ${e.createdAt}, ${e.requestHash},
                            (SELECT count(*)::int FROM ${d} WHERE ${d.eventId} = ${e.id}) AS deliveries`;
  /** The tenant's active webhooks subscribed to the type, with their filters, `only` when `inserted` holds. */
  const subscribers = (only: SQL) => sql`
    SELECT ${s.webhookId} AS webhook_id, ${w.filter} AS filter FROM ${s} JOIN ${w} ON ${w.id} = ${s.webhookId}
     WHERE ${only} AND ${s.tenantId} = ${param("tenantId")} AND ${s.eventType} = ${param("type")} AND ${w.active}`;
  /** Subscriber ids in id order, and their filters in the same order (null when none has one). */
  const subscriberArrays = sql`coalesce(array_agg(webhook_id ORDER BY webhook_id), '{}') AS webhooks,
                               CASE WHEN bool_or(filter IS NOT NULL) THEN array_agg(filter ORDER BY webhook_id) END AS filters`;
  return {
    /** The event unless a unique key is taken; its tenant's subscribers when it went in. */
    insertEvent: compile<{ inserted: boolean } & Subscribers>(sql`
      WITH ins AS (INSERT INTO ${e} (${eventColumns}) VALUES (${eventValues}) ON CONFLICT DO NOTHING RETURNING ${bare(e.id)}),
      subscribers AS (${subscribers(sql`EXISTS (SELECT 1 FROM ins)`)})
      SELECT EXISTS (SELECT 1 FROM ins) AS inserted, ${subscriberArrays} FROM subscribers`),
    /** The same subscribers, read without writing (an event hookrelay writes only if someone listens). */
    subscribers: compile<Subscribers>(sql`WITH subscribers AS (${subscribers(sql`true`)}) SELECT ${subscriberArrays} FROM subscribers`),
    deliveries: compile<{ n: number }>(insertDeliveries(sql`WITH`)),
    /** The event and its deliveries in one statement (targets known beforehand). */
    enqueue: compile<{ n: number }>(insertDeliveries(sql`WITH ins AS (INSERT INTO ${e} (${eventColumns}) VALUES (${eventValues})),`)),
    byKey: compile<ReplayRow>(sql`SELECT ${replayColumns} FROM ${e} WHERE ${e.tenantId} = ${param("tenantId")} AND ${e.idempotencyKey} = ${param("key")}`),
    byPublicId: compile<ReplayRow>(sql`SELECT ${replayColumns} FROM ${e} WHERE ${e.tenantId} = ${param("tenantId")} AND ${e.publicId} = ${param("key")}`),
  };
}

function eventParams(ev: NewEvent) {
  return {
    id: ev.id,
    publicId: ev.publicId ?? ev.id,
    tenantId: ev.tenantId ?? DEFAULT_TENANT,
    type: ev.type,
    body: ev.body,
    idempotencyKey: ev.idempotencyKey ?? null,
    requestHash: ev.requestHash ?? null,
    sourceId: ev.sourceId ?? null,
    at: ev.createdAt,
    traceParent: ev.traceParent ?? null,
  };
}

function targetParams(targets: readonly OutboxTarget[], at: number) {
  return {
    deliveryIds: targets.map(() => newSortableId("dlv", at)),
    transports: targets.map((t) => t.transport),
    webhookIds: targets.map((t) => (t.transport === "http" ? t.webhookId : null)),
    trafficSourceWebhookIds: targets.map((t) => (t.transport === "discord" ? t.trafficSourceWebhookId : null)),
  };
}

export class PostgresPublishStore implements PublishStore {
  private readonly s = statements();
  private readonly filters = new FilterMatchers();

  constructor(private readonly client: BunSQL) {}

  async publish({ event, clientId, data }: PublishRequest): Promise<PublishOutcome> {
    const params = eventParams(event);
    return this.client.begin(async (tx) => {
      const [row] = await this.s.insertEvent.run(tx, params);
      if (!row!.inserted) {
        const original = await this.replayOf(tx, event.tenantId, event.idempotencyKey ?? null, clientId);
        if (!original) throw new Error(`event ${event.id} was not stored and nothing replays it (an id taken by another tenant's event?)`);
        return { replayed: true, original };
      }
      return { replayed: false, deliveries: await this.deliver(tx, params, row!, event, data) };
    });
  }

  enqueue(event: NewEvent, targets: readonly OutboxTarget[]): Promise<string[]> {
    return this.enqueueOn(this.client, event, targets);
  }

  /**
   * An event hookrelay writes itself (events/operational.ts), inside the caller's transaction
   * (that of the outcome it announces), with one delivery per subscriber, as a publish would, but
   * only if there is one: nobody asked to hear of it otherwise. How many deliveries.
   */
  async announceOn(tx: Runner, event: NewEvent & { tenantId: string }): Promise<number> {
    const params = eventParams(event);
    const [found] = await this.s.subscribers.run(tx, params);
    const targets = this.matching(found!, event);
    if (targets.length > 0) await this.enqueueOn(tx, event, targets);
    return targets.length;
  }

  /** One delivery per subscriber found by the event's insert whose filter (if any) its data match. How many. */
  private async deliver(tx: Runner, params: ReturnType<typeof eventParams>, found: Subscribers, event: NewEvent, data?: unknown): Promise<number> {
    const targets = this.matching(found, event, data);
    if (targets.length > 0) await this.s.deliveries.run(tx, { ...params, ...targetParams(targets, event.createdAt) });
    return targets.length;
  }

  /** The subscribers whose filter (if any) the event's data match. */
  private matching({ webhooks, filters }: Subscribers, event: NewEvent, data?: unknown): OutboxTarget[] {
    let chosen = webhooks;
    // Null when no subscriber has a filter: then no matcher runs.
    if (filters !== null) {
      const matches = this.filters.forEvent(() => (data === undefined ? eventDataOf(event.body) : data));
      chosen = webhooks.filter((_, i) => {
        const filter = filters[i];
        return filter == null || matches(filter);
      });
    }
    return chosen.map((webhookId): OutboxTarget => ({ transport: "http", webhookId }));
  }

  /** `enqueue` inside a caller's transaction (a webhook test, an alert). */
  async enqueueOn(on: Runner, event: NewEvent, targets: readonly OutboxTarget[]): Promise<string[]> {
    const extra = targetParams(targets, event.createdAt);
    await this.s.enqueue.run(on, { ...eventParams(event), ...extra });
    return extra.deliveryIds;
  }

  /** After the insert found a key taken: that key's event (in READ COMMITTED, the committed winner). */
  private async replayOf(tx: Runner, tenantId: string, idempotencyKey: string | null, clientId: string | null): Promise<ReplayedEvent | undefined> {
    const byKey = idempotencyKey !== null ? await this.s.byKey.run(tx, { tenantId, key: idempotencyKey }) : [];
    const [row] = byKey.length > 0 || clientId === null ? byKey : await this.s.byPublicId.run(tx, { tenantId, key: clientId });
    if (!row) return undefined;
    return { publicId: row.public_id, type: row.type, createdAt: int8(row.created_at), requestHash: row.request_hash, deliveries: row.deliveries };
  }
}
