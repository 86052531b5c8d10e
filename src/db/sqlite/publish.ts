// Publishing on SQLite. A publish runs in the next group commit (db/group-commit.ts): concurrent
// publishes share one transaction, each in its own savepoint, and the caller is answered after
// the shared COMMIT. That transaction is IMMEDIATE, so the replay check and the insert see the
// same state. Statements per publish: the replay lookups it needs (none without a key or id),
// the subscribers, the event, one per delivery.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { NewEvent, OutboxTarget, PublishOutcome, PublishRequest, PublishStore, ReplayedEvent } from "../aggregates/publish";
import type { Db } from "../client";
import { commitSoon } from "../group-commit";
import { deliveries as d, events as e, webhookEventTypes as s, webhooks as w } from "../schema";
import { SqliteOutbox } from "./outbox";
import type { SqliteTenantStore } from "./tenants";
import { compile, param } from "./sql";

type ReplayRow = Omit<ReplayedEvent, "deliveries"> & { id: string };

export class SqlitePublishStore implements PublishStore {
  private readonly s;
  /** For the stores whose own transactions also write an event (a webhook test, an alert). */
  readonly outbox: SqliteOutbox;

  constructor(
    private readonly db: Db,
    private readonly tenants: SqliteTenantStore,
  ) {
    const sqlite: Database = db.$client;
    this.outbox = new SqliteOutbox(sqlite);
    const replayColumns = sql`${e.id} AS id, coalesce(${e.publicId}, ${e.id}) AS publicId, ${e.type} AS type, ${e.createdAt} AS createdAt, ${e.requestHash} AS requestHash`;
    this.s = {
      // The tenant's active webhooks subscribed to a type, oldest first: one range of the
      // subscriptions' primary key, and each webhook's row by its key for the active flag (and
      // its ordering, which the delivery rows copy).
      subscribers: compile(
        sqlite,
        sql`SELECT ${s.webhookId} AS webhookId, ${w.ordering} IS NOT NULL AS fifo FROM ${s} INNER JOIN ${w} ON ${w.id} = ${s.webhookId}
            WHERE ${s.tenantId} = ${param("tenantId")} AND ${s.eventType} = ${param("type")} AND ${w.active} = 1
            ORDER BY ${s.webhookId}`,
      ).raw(),
      byKey: compile(sqlite, sql`SELECT ${replayColumns} FROM ${e} WHERE ${e.tenantId} = ${param("tenantId")} AND ${e.idempotencyKey} = ${param("key")}`),
      byPublicId: compile(sqlite, sql`SELECT ${replayColumns} FROM ${e} WHERE ${e.tenantId} = ${param("tenantId")} AND ${e.publicId} = ${param("key")}`),
      deliveryCount: compile(sqlite, sql`SELECT count(*) FROM ${d} WHERE ${d.eventId} = ${param("eventId")}`).pluck(),
    };
  }

  publish(request: PublishRequest): Promise<PublishOutcome> {
    return commitSoon(this.db, () => this.publishNow(request));
  }

  enqueue(event: NewEvent, targets: readonly OutboxTarget[]): Promise<string[]> {
    return commitSoon(this.db, () => this.outbox.enqueue(event, targets));
  }

  /** Inside the group commit's transaction (a savepoint of it). */
  private publishNow({ event, clientId }: PublishRequest): PublishOutcome {
    if (!this.tenants.existsNow(event.tenantId)) return { replayed: false, noSuchTenant: true };
    const original = this.replayOf(event.tenantId, event.idempotencyKey ?? null, clientId);
    if (original) return { replayed: true, original };
    const subscribers = this.s.subscribers.all({ tenantId: event.tenantId, type: event.type }) as [string, number][];
    const targets = subscribers.map(([webhookId, fifo]): OutboxTarget => ({ transport: "http", webhookId, fifo: fifo === 1 }));
    this.outbox.enqueue(event, targets);
    return { replayed: false, deliveries: targets.length };
  }

  private replayOf(tenantId: string, idempotencyKey: string | null, clientId: string | null): ReplayedEvent | undefined {
    const row =
      (idempotencyKey !== null ? (this.s.byKey.get({ tenantId, key: idempotencyKey }) as ReplayRow | undefined) : undefined) ??
      (clientId !== null ? (this.s.byPublicId.get({ tenantId, key: clientId }) as ReplayRow | undefined) : undefined);
    if (!row) return undefined;
    const { id, ...rest } = row;
    return { ...rest, deliveries: this.s.deliveryCount.get({ eventId: id }) as number };
  }
}
