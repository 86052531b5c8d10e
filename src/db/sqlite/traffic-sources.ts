// Traffic sources on SQLite. Every statement is prepared once, here; each operation is one
// synchronous transaction that checks the source's owner before doing its work. The rule of one
// webhook per level is the unique index (traffic_source_id, level): writes simply try, and a
// violation is answered as `level-taken`, so two racing requests cannot both succeed.
import { and, asc, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { isUniqueViolation } from "../constraint";
import { DEFAULT_TENANT, deliveries, deliveryAttempts, events, trafficSources, trafficSourceWebhooks as hooks } from "../schema";
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

/** A typed placeholder: drizzle's column types do not admit `sql.placeholder` on their own. */
const p = <T>(name: string) => sql.placeholder(name) as unknown as T;
/** Before this, when given; the far future otherwise. */
const NO_BEFORE = Number.MAX_SAFE_INTEGER;

type AlertRow = Omit<AlertRecord, "delivered"> & { deliveryId: string | null };

export class SqliteTrafficSources implements TrafficSourceStore {
  private readonly s;
  private readonly tx;

  constructor(db: Db) {
    const alertColumns = {
      id: events.id, trafficSourceId: sql<string>`${events.sourceId}`, type: events.type, body: events.body,
      createdAt: events.createdAt, deliveryId: deliveries.id,
    };
    const alerts = () => db.select(alertColumns).from(events).leftJoin(deliveries, eq(deliveries.eventId, events.id));
    const levelOrder: SQL = sql`case ${hooks.level} when 'fatal' then 0 when 'warning' then 1 else 2 end`;
    const byIds = and(eq(hooks.id, p("id")), eq(hooks.trafficSourceId, p("sourceId")));
    this.s = {
      insertSource: db.insert(trafficSources).values({
        id: p("id"), name: p("name"), ownerId: p("ownerId"), createdAt: p("createdAt"), updatedAt: p("updatedAt"),
      }).returning().prepare(),
      sourcesOf: db.select().from(trafficSources).where(eq(trafficSources.ownerId, p("ownerId")))
        .orderBy(asc(trafficSources.createdAt), asc(trafficSources.id)).prepare(),
      source: db.select().from(trafficSources).where(eq(trafficSources.id, p("id"))).prepare(),
      insertHook: db.insert(hooks).values({
        id: p("id"), trafficSourceId: p("sourceId"), type: p("type"), level: p("level"), value: p("value"), createdAt: p("now"), updatedAt: p("now"),
      }).returning().prepare(),
      hooksOf: db.select().from(hooks).where(eq(hooks.trafficSourceId, p("sourceId"))).orderBy(levelOrder).prepare(),
      // A field left out (null) keeps its value.
      updateHook: db.update(hooks).set({
        type: sql`coalesce(${sql.placeholder("type")}, ${hooks.type})`,
        level: sql`coalesce(${sql.placeholder("level")}, ${hooks.level})`,
        value: sql`coalesce(${sql.placeholder("value")}, ${hooks.value})`,
        updatedAt: p("now"),
      }).where(byIds).returning().prepare(),
      deleteHook: db.delete(hooks).where(byIds).prepare(),
      hookValue: db.select({ value: hooks.value }).from(hooks).where(eq(hooks.id, p("id"))).prepare(),
      hookForLevel: db.select({ id: hooks.id }).from(hooks)
        .where(and(eq(hooks.trafficSourceId, p("sourceId")), eq(hooks.level, p("level")))).prepare(),
      insertEvent: db.insert(events).values({
        id: p("id"), publicId: p("id"), tenantId: DEFAULT_TENANT, type: p("type"), body: p("body"), sourceId: p("sourceId"),
        createdAt: p("createdAt"), traceParent: p("traceParent"),
      }).prepare(),
      insertDelivery: db.insert(deliveries).values({
        id: p("id"), eventId: p("eventId"), tenantId: DEFAULT_TENANT, transport: "discord", trafficSourceWebhookId: p("hookId"),
        status: "pending", attempts: 0, nextAttemptAt: p("at"), createdAt: p("at"), updatedAt: p("at"),
      }).prepare(),
      // Walks events_source_created_idx.
      alerts: alerts().where(and(eq(events.sourceId, p("sourceId")), lt(events.createdAt, p("before"))))
        .orderBy(desc(events.createdAt)).limit(p("limit")).prepare(),
      alert: alerts().where(and(eq(events.id, p("id")), eq(events.sourceId, p("sourceId")))).prepare(),
      delivery: db.select({
        id: deliveries.id, status: deliveries.status, attempts: deliveries.attempts, nextAttemptAt: deliveries.nextAttemptAt,
        lastStatusCode: deliveries.lastStatusCode, lastError: deliveries.lastError, deliveredAt: deliveries.deliveredAt,
      }).from(deliveries).where(eq(deliveries.id, p("id"))).prepare(),
      attempts: db.select({
        attemptedAt: deliveryAttempts.attemptedAt, durationMs: deliveryAttempts.durationMs, statusCode: deliveryAttempts.statusCode,
        responseBody: deliveryAttempts.responseBody, error: deliveryAttempts.error,
      }).from(deliveryAttempts).where(eq(deliveryAttempts.deliveryId, p("id")))
        .orderBy(asc(deliveryAttempts.attemptedAt), asc(deliveryAttempts.id)).prepare(),
    };
    // Built once: better-sqlite3 builds a new wrapper per transaction() call.
    this.tx = {
      raise: db.$client.transaction((scope: SourceScope, alert: NewAlert) => this.raiseNow(scope, alert)),
      add: db.$client.transaction((scope: SourceScope, hook: TrafficSourceWebhookInput & { id: string; now: number }) => this.addNow(scope, hook)),
      update: db.$client.transaction((scope: SourceScope, id: string, changes: Partial<TrafficSourceWebhookInput>, now: number) =>
        this.updateNow(scope, id, changes, now)),
      delete: db.$client.transaction((scope: SourceScope, id: string) => this.deleteNow(scope, id)),
      alert: db.$client.transaction((scope: SourceScope, id: string) => this.alertNow(scope, id)),
    };
  }

  /** The source when `userId` owns it, else why not. */
  private owned({ sourceId, userId }: SourceScope): TrafficSourceRecord | TrafficSourceRefusal {
    const source = this.s.source.get({ id: sourceId });
    if (!source) return "no-source";
    return source.ownerId === userId ? source : "not-owner";
  }

  async create(source: TrafficSourceRecord): Promise<TrafficSourceRecord> {
    return this.s.insertSource.get({ ...source })!;
  }

  async listOwned(ownerId: string): Promise<TrafficSourceRecord[]> {
    return this.s.sourcesOf.all({ ownerId });
  }

  async get(scope: SourceScope): Promise<TrafficSourceRecord | TrafficSourceRefusal> {
    return this.owned(scope);
  }

  async addWebhook(scope: SourceScope, webhook: TrafficSourceWebhookInput & { id: string; now: number }) {
    return this.tx.add(scope, webhook);
  }

  private addNow(scope: SourceScope, webhook: TrafficSourceWebhookInput & { id: string; now: number }) {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    return levelTakenOr(() => this.s.insertHook.get({ ...webhook, sourceId: scope.sourceId })! as TrafficSourceWebhookRecord);
  }

  async listWebhooks(scope: SourceScope) {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    return this.s.hooksOf.all({ sourceId: scope.sourceId }) as TrafficSourceWebhookRecord[];
  }

  async updateWebhook(scope: SourceScope, id: string, changes: Partial<TrafficSourceWebhookInput>, now: number) {
    return this.tx.update(scope, id, changes, now);
  }

  private updateNow(scope: SourceScope, id: string, changes: Partial<TrafficSourceWebhookInput>, now: number) {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    const values = { id, sourceId: scope.sourceId, now, type: changes.type ?? null, level: changes.level ?? null, value: changes.value ?? null };
    return levelTakenOr(() => (this.s.updateHook.get(values) as TrafficSourceWebhookRecord | undefined) ?? "no-webhook");
  }

  async deleteWebhook(scope: SourceScope, id: string): Promise<true | TrafficSourceRefusal> {
    return this.tx.delete(scope, id);
  }

  private deleteNow(scope: SourceScope, id: string): true | TrafficSourceRefusal {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    return this.s.deleteHook.run({ id, sourceId: scope.sourceId }).changes > 0 ? true : "no-webhook";
  }

  async webhookValue(id: string): Promise<string | null> {
    return this.s.hookValue.get({ id })?.value ?? null;
  }

  async raiseAlert(scope: SourceScope, alert: NewAlert) {
    return this.tx.raise(scope, alert);
  }

  /** The event, and one delivery when the level has a webhook, committed together (the outbox). */
  private raiseNow(scope: SourceScope, alert: NewAlert): { source: TrafficSourceRecord; deliveries: number } | TrafficSourceRefusal {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    const { id, type, createdAt, traceParent } = alert;
    this.s.insertEvent.run({ id, type, body: alert.body(source), sourceId: source.id, createdAt, traceParent });
    const hook = this.s.hookForLevel.get({ sourceId: source.id, level: alert.level });
    if (hook) this.s.insertDelivery.run({ id: newSortableId("dlv", createdAt), eventId: id, hookId: hook.id, at: createdAt });
    return { source, deliveries: hook ? 1 : 0 };
  }

  async listAlerts(scope: SourceScope, page: { limit: number; before?: number }): Promise<AlertRecord[] | TrafficSourceRefusal> {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    return this.s.alerts.all({ sourceId: scope.sourceId, before: page.before ?? NO_BEFORE, limit: page.limit }).map(toAlert);
  }

  async getAlert(scope: SourceScope, alertId: string) {
    return this.tx.alert(scope, alertId);
  }

  /** The alert, its delivery and its attempts read in one snapshot. */
  private alertNow(scope: SourceScope, alertId: string): AlertDetailRecord | TrafficSourceRefusal {
    const source = this.owned(scope);
    if (typeof source === "string") return source;
    const row = this.s.alert.get({ id: alertId, sourceId: scope.sourceId });
    if (!row) return "no-alert";
    const delivery = row.deliveryId === null ? undefined : this.s.delivery.get({ id: row.deliveryId });
    return {
      ...toAlert(row),
      delivery: delivery ? { ...delivery, attemptLog: this.s.attempts.all({ id: delivery.id }) } : null,
    };
  }
}

function toAlert({ deliveryId, ...row }: AlertRow): AlertRecord {
  return { ...row, delivered: deliveryId !== null };
}

function levelTakenOr<T>(write: () => T): T | "level-taken" {
  try {
    return write();
  } catch (e) {
    if (isUniqueViolation(e)) return "level-taken";
    throw e;
  }
}
