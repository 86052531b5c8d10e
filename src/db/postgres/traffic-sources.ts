// Traffic sources on PostgreSQL, as ../sqlite/traffic-sources.ts: each operation is one
// transaction that checks the source's owner before doing its work. Where SQLite's write lock
// keeps the source from going away meanwhile, here the check locks the source row (FOR KEY
// SHARE: a delete of the source or its user waits for the commit, and a source deleted first is
// answered as `no-source`, never a foreign-key error). One webhook per level is the unique index
// (traffic_source_id, level): an insert that finds the level taken does nothing, an update onto a
// taken level fails on the index, and either is answered as `level-taken`, so two racing requests
// on any nodes cannot both succeed.
import { and, asc, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import { newSortableId } from "../../ids";
import type {
  AlertDetailRecord,
  AlertRecord,
  NewAlert,
  SourceScope,
  TrafficSourceRecord,
  TrafficSourceRefusal,
  TrafficSourceStore,
  TrafficSourceWebhookInput,
  TrafficSourceWebhookRecord,
} from "../aggregates/traffic-sources";
import { isUniqueViolation } from "../constraint";
import { DEFAULT_TENANT } from "../schema";
import { DELIVERY_CHANNEL } from "./publish";
import { deliveries, deliveryAttempts, events, trafficSources, trafficSourceWebhooks as hooks } from "./schema";

type Db = BunSQLDatabase;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Runner = Db | Tx;

/** Before this, when given; the far future otherwise. */
const NO_BEFORE = Number.MAX_SAFE_INTEGER;
const levelOrder: SQL = sql`case ${hooks.level} when 'fatal' then 0 when 'warning' then 1 else 2 end`;

const alertColumns = {
  id: events.id,
  trafficSourceId: sql<string>`${events.sourceId}`,
  type: events.type,
  body: events.body,
  createdAt: events.createdAt,
  deliveryId: deliveries.id,
};
type AlertRow = Omit<AlertRecord, "delivered"> & { deliveryId: string | null };

export class PostgresTrafficSources implements TrafficSourceStore {
  constructor(private readonly db: Db) {}

  /** The source when `userId` owns it, else why not; `lock` holds it until the transaction ends. */
  private async owned(on: Runner, { sourceId, userId }: SourceScope, lock = false): Promise<TrafficSourceRecord | TrafficSourceRefusal> {
    const query = on.select().from(trafficSources).where(eq(trafficSources.id, sourceId));
    const [source] = lock ? await query.for("key share") : await query;
    if (!source) return "no-source";
    return source.ownerId === userId ? source : "not-owner";
  }

  async create(source: TrafficSourceRecord): Promise<TrafficSourceRecord> {
    const [row] = await this.db.insert(trafficSources).values(source).returning();
    return row!;
  }

  async listOwned(ownerId: string): Promise<TrafficSourceRecord[]> {
    return this.db.select().from(trafficSources).where(eq(trafficSources.ownerId, ownerId)).orderBy(asc(trafficSources.createdAt), asc(trafficSources.id));
  }

  async get(scope: SourceScope): Promise<TrafficSourceRecord | TrafficSourceRefusal> {
    return this.owned(this.db, scope);
  }

  async addWebhook(scope: SourceScope, webhook: TrafficSourceWebhookInput & { id: string; now: number }): Promise<TrafficSourceWebhookRecord | TrafficSourceRefusal> {
    return this.db.transaction(async (tx) => {
      const source = await this.owned(tx, scope, true);
      if (typeof source === "string") return source;
      const { id, type, level, value, now } = webhook;
      const [row] = await tx
        .insert(hooks)
        .values({ id, trafficSourceId: scope.sourceId, type, level, value, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      return row ?? "level-taken";
    });
  }

  async listWebhooks(scope: SourceScope): Promise<TrafficSourceWebhookRecord[] | TrafficSourceRefusal> {
    const source = await this.owned(this.db, scope);
    if (typeof source === "string") return source;
    return this.db.select().from(hooks).where(eq(hooks.trafficSourceId, scope.sourceId)).orderBy(levelOrder);
  }

  async updateWebhook(scope: SourceScope, id: string, changes: Partial<TrafficSourceWebhookInput>, now: number): Promise<TrafficSourceWebhookRecord | TrafficSourceRefusal> {
    try {
      return await this.db.transaction(async (tx) => {
        const source = await this.owned(tx, scope, true);
        if (typeof source === "string") return source;
        const [row] = await tx
          .update(hooks)
          // A field left out keeps its value.
          .set({ ...changes, updatedAt: now })
          .where(and(eq(hooks.id, id), eq(hooks.trafficSourceId, scope.sourceId)))
          .returning();
        return row ?? "no-webhook";
      });
    } catch (e) {
      // The update is the transaction's only write: it rolled back whole.
      if (isUniqueViolation(e)) return "level-taken";
      throw e;
    }
  }

  async deleteWebhook(scope: SourceScope, id: string): Promise<true | TrafficSourceRefusal> {
    return this.db.transaction(async (tx) => {
      const source = await this.owned(tx, scope, true);
      if (typeof source === "string") return source;
      // Its deliveries go with it (the foreign key cascades).
      const gone = await tx.delete(hooks).where(and(eq(hooks.id, id), eq(hooks.trafficSourceId, scope.sourceId))).returning({ id: hooks.id });
      return gone.length > 0 ? true : "no-webhook";
    });
  }

  async webhookValue(id: string): Promise<string | null> {
    const [row] = await this.db.select({ value: hooks.value }).from(hooks).where(eq(hooks.id, id));
    return row?.value ?? null;
  }

  /** The event, and one delivery when the level has a webhook, committed together (the outbox). */
  async raiseAlert(scope: SourceScope, alert: NewAlert): Promise<{ source: TrafficSourceRecord; deliveries: number } | TrafficSourceRefusal> {
    return this.db.transaction(async (tx) => {
      const source = await this.owned(tx, scope, true);
      if (typeof source === "string") return source;
      const { id, type, createdAt, traceParent } = alert;
      await tx.insert(events).values({ id, publicId: id, tenantId: DEFAULT_TENANT, type, body: alert.body(source), sourceId: source.id, createdAt, traceParent });
      // Locked like the source: a delete of this webhook waits until its delivery is in.
      const [hook] = await tx
        .select({ id: hooks.id })
        .from(hooks)
        .where(and(eq(hooks.trafficSourceId, source.id), eq(hooks.level, alert.level)))
        .for("key share");
      if (!hook) return { source, deliveries: 0 };
      await tx.insert(deliveries).values({
        id: newSortableId("dlv", createdAt), eventId: id, tenantId: DEFAULT_TENANT, transport: "discord", trafficSourceWebhookId: hook.id,
        status: "pending", attempts: 0, nextAttemptAt: createdAt, createdAt, updatedAt: createdAt,
      });
      // As every insert of deliveries does (publish.ts): a listening node starts at the commit.
      await tx.execute(sql`SELECT pg_notify(${DELIVERY_CHANNEL}, '')`);
      return { source, deliveries: 1 };
    });
  }

  async listAlerts(scope: SourceScope, page: { limit: number; before?: number }): Promise<AlertRecord[] | TrafficSourceRefusal> {
    const source = await this.owned(this.db, scope);
    if (typeof source === "string") return source;
    // Walks events_source_created_idx.
    const rows = await this.alerts(this.db)
      .where(and(eq(events.sourceId, scope.sourceId), lt(events.createdAt, page.before ?? NO_BEFORE)))
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(page.limit);
    return rows.map(toAlert);
  }

  /** The alert, its delivery and its attempts read in one snapshot. */
  async getAlert(scope: SourceScope, alertId: string): Promise<AlertDetailRecord | TrafficSourceRefusal> {
    return this.db.transaction(
      async (tx) => {
        const source = await this.owned(tx, scope);
        if (typeof source === "string") return source;
        const [row] = await this.alerts(tx).where(and(eq(events.id, alertId), eq(events.sourceId, scope.sourceId)));
        if (!row) return "no-alert";
        const [delivery] =
          row.deliveryId === null
            ? []
            : await tx
                .select({
                  id: deliveries.id, status: deliveries.status, attempts: deliveries.attempts, nextAttemptAt: deliveries.nextAttemptAt,
                  lastStatusCode: deliveries.lastStatusCode, lastError: deliveries.lastError, deliveredAt: deliveries.deliveredAt,
                })
                .from(deliveries)
                .where(eq(deliveries.id, row.deliveryId));
        const attemptLog = delivery
          ? await tx
              .select({
                attemptedAt: deliveryAttempts.attemptedAt, durationMs: deliveryAttempts.durationMs, statusCode: deliveryAttempts.statusCode,
                responseBody: deliveryAttempts.responseBody, error: deliveryAttempts.error,
              })
              .from(deliveryAttempts)
              .where(eq(deliveryAttempts.deliveryId, delivery.id))
              .orderBy(asc(deliveryAttempts.attemptedAt), asc(deliveryAttempts.id))
          : [];
        return { ...toAlert(row), delivery: delivery ? { ...delivery, attemptLog } : null };
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
  }

  private alerts(on: Runner) {
    return on.select(alertColumns).from(events).leftJoin(deliveries, eq(deliveries.eventId, events.id)).$dynamic();
  }
}

function toAlert({ deliveryId, ...row }: AlertRow): AlertRecord {
  return { ...row, delivered: deliveryId !== null };
}
