// Publishing on SQLite. A publish runs in the next group commit (db/group-commit.ts): concurrent
// publishes share one transaction, each in its own savepoint, and the caller is answered after
// the shared COMMIT. That transaction is IMMEDIATE, so the replay check and the insert see the
// same state. Statements per publish: the replay lookups it needs (none without a key or id),
// the subscribers (with their filters, read from the webhook row the join reads anyway), the
// event, one per delivery. Filters are matched in between, inside the same savepoint.
import type { Database } from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { NewEvent, OutboxTarget, PublishOutcome, PublishRequest, PublishStore, ReplayedEvent } from "../aggregates/publish";
import type { Db } from "../client";
import { commitSoon } from "../group-commit";
import { deliveries as d, events as e, webhookEventTypes as s, webhooks as w } from "../schema";
import { eventDataOf, FilterMatchers } from "../../links/filter";
import { SqliteOutbox } from "./outbox";
import type { SqliteTenantStore } from "./tenants";
import { compile, param } from "./sql";

type ReplayRow = Omit<ReplayedEvent, "deliveries"> & { id: string };

export class SqlitePublishStore implements PublishStore {
  private readonly s;
  private readonly filters = new FilterMatchers();
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
      // subscriptions' primary key, and each webhook's row by its key for the active flag and
      // the filter. One string per subscriber, as before filters existed (arrays or objects per
      // row cost half as much again): the webhook id alone for a webhook with no filter and no
      // ordering (it is unordered: its deliveries are not fifo); else the id, a NUL and the
      // filter's JSON text if any (its ordering is then looked up as its delivery is written).
      // Neither id nor JSON text can hold a NUL (ids are `whk_` + base62, and JSON text escapes
      // control characters). Every extra term of this expression costs each publish
      // (test/bench/RESULTS.md, session 9): it is kept to these.
      subscribers: compile(
        sqlite,
        sql`SELECT CASE WHEN ${w.filter} IS NULL AND ${w.ordering} IS NULL THEN ${s.webhookId}
                        ELSE ${s.webhookId} || char(0) || CASE WHEN ${w.filter} IS NULL THEN '' ELSE ${w.filter} END END
              FROM ${s} INNER JOIN ${w} ON ${w.id} = ${s.webhookId}
             WHERE ${s.tenantId} = ${param("tenantId")} AND ${s.eventType} = ${param("type")} AND ${w.active} = 1
             ORDER BY ${s.webhookId}`,
      ).pluck(),
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
  private publishNow({ event, clientId, data }: PublishRequest): PublishOutcome {
    if (!this.tenants.existsNow(event.tenantId)) return { replayed: false, noSuchTenant: true };
    const original = this.replayOf(event.tenantId, event.idempotencyKey ?? null, clientId);
    if (original) return { replayed: true, original };
    const targets = this.subscribersOf(event, data);
    this.outbox.enqueue(event, targets);
    return { replayed: false, deliveries: targets.length };
  }

  /**
   * An event hookrelay writes itself (events/operational.ts), inside the caller's transaction
   * (that of the outcome it announces), with one delivery per subscriber, as a publish would, but
   * only if there is one: nobody asked to hear of it otherwise. How many deliveries.
   */
  announceNow(event: NewEvent & { tenantId: string }): number {
    const targets = this.subscribersOf(event);
    if (targets.length > 0) this.outbox.enqueue(event, targets);
    return targets.length;
  }

  /**
   * The tenant's active webhooks subscribed to the event's type whose filter (if any) its data
   * match. `data`: the event's data when the caller has it parsed already.
   */
  private subscribersOf(event: NewEvent & { tenantId: string }, data?: unknown): OutboxTarget[] {
    const subscribers = this.s.subscribers.all({ tenantId: event.tenantId, type: event.type }) as string[];
    const matches = this.filters.forEvent(() => (data === undefined ? eventDataOf(event.body) : data));
    const targets: OutboxTarget[] = [];
    for (const subscriber of subscribers) {
      const cut = subscriber.indexOf("\0");
      if (cut === -1) {
        targets.push({ transport: "http", webhookId: subscriber, fifo: false });
        continue;
      }
      const filter = subscriber.slice(cut + 1);
      if (filter === "" || matches(filter)) targets.push({ transport: "http", webhookId: subscriber.slice(0, cut) });
    }
    return targets;
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
