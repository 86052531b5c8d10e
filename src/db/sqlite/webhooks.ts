// Link webhooks on SQLite. Every statement is built once, here, with the schema's columns;
// creating one rides the group commit (db/group-commit.ts) as a single statement. The tenant
// scope of a lookup is one more term of its WHERE clause (`:tenantId IS NULL` for a platform caller).
import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { Page, PageRequest } from "../aggregates/page";
import type { NewWebhook, TestEvent, TestOutcome, WebhookChanges, WebhookListFilter, WebhookRecord, WebhookStore } from "../aggregates/webhooks";
import type { Db } from "../client";
import { commitSoon } from "../group-commit";
import { DEFAULT_TENANT, deliveries as d, tenants, webhookEventTypes as s, webhooks as w } from "../schema";
// Until the outbox is the publish store's (it is the same two inserts for every writer).
import type { SqliteOutbox } from "./outbox";
import { pageOf, rowIdOfCursor } from "./rowid-page";
import { bare, compile, param } from "./sql";

const p = sql.placeholder;
const rowId = sql<number>`${w}.rowid`;
const inScope = sql`(${p("tenantId")} IS NULL OR ${w.tenantId} = ${p("tenantId")})`;

type WebhookRow = typeof w.$inferSelect;

function toRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    events: JSON.parse(row.events),
    active: row.active,
    metadataJson: row.metadata,
    secret: row.secret,
    previousSecret: row.previousSecret,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    disabledReason: row.disabledReason,
    filterJson: row.filter,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    retrySchedule: row.retrySchedule === null ? null : JSON.parse(row.retrySchedule),
    timeoutMs: row.timeoutMs,
    headers: row.headers === null ? null : JSON.parse(row.headers),
    ordering: row.ordering,
    rateLimit: row.rateLimit,
  };
}

/** A delivery control as its column holds it: JSON text, null for none. */
const controlJson = (value: object | null | undefined): string | null => (value == null ? null : JSON.stringify(value));

/** Which filters a list uses: each combination is its own statement (8 in all), so each keeps its best plan. */
const LIST_SHAPES = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => ({ before: (bits & 1) !== 0, active: (bits & 2) !== 0, event: (bits & 4) !== 0 }));
const shapeKey = (shape: { before: boolean; active: boolean; event: boolean }) => `${+shape.before}${+shape.active}${+shape.event}`;

function listStatement(db: Db, shape: { before: boolean; active: boolean; event: boolean }) {
  const where: SQL[] = [eq(w.tenantId, p("tenantId"))];
  if (shape.before) where.push(lt(rowId, p("before")));
  if (shape.active) where.push(eq(w.active, p("active")));
  // One lookup in the subscriptions' primary key per webhook of the tenant.
  if (shape.event) {
    where.push(sql`exists (select 1 from ${s} where ${s.tenantId} = ${w.tenantId} and ${s.eventType} = ${p("event")} and ${s.webhookId} = ${w.id})`);
  }
  return db.select({ rowId, row: w }).from(w).where(and(...where)).orderBy(desc(rowId)).limit(p("limit")).prepare();
}

/**
 * A null parameter keeps the stored value. Enabling clears the reason and restarts the
 * auto-disable clock; a new secret retires the previous one at once, or with `keepUntil` makes
 * the current one the previous (the right-hand sides read the row as it was).
 */
function updateStatement(db: Db, withEvents: boolean) {
  return db
    .update(w)
    .set({
      url: sql`coalesce(${p("url")}, ${w.url})`,
      ...(withEvents ? { events: sql`${p("events")}` } : {}),
      metadata: sql`coalesce(${p("metadata")}, ${w.metadata})`,
      secret: sql`coalesce(${p("secret")}, ${w.secret})`,
      previousSecret: sql`CASE WHEN ${p("secret")} IS NULL THEN ${w.previousSecret} WHEN ${p("keepUntil")} IS NOT NULL THEN ${w.secret} END`,
      previousSecretExpiresAt: sql`CASE WHEN ${p("secret")} IS NULL THEN ${w.previousSecretExpiresAt} ELSE ${p("keepUntil")} END`,
      active: sql`coalesce(${p("active")}, ${w.active})`,
      // `setFilter` tells "remove it" (null) from "keep it".
      filter: sql`CASE WHEN ${p("setFilter")} THEN ${p("filter")} ELSE ${w.filter} END`,
      disabledReason: sql`CASE ${p("active")} WHEN 1 THEN NULL WHEN 0 THEN ${p("reason")} ELSE ${w.disabledReason} END`,
      lastSuccessAt: sql`CASE ${p("active")} WHEN 1 THEN ${p("now")} ELSE ${w.lastSuccessAt} END`,
      // A control is set only when named (set… is 1), and may be set to null (removed).
      retrySchedule: sql`CASE WHEN ${p("setRetrySchedule")} THEN ${p("retrySchedule")} ELSE ${w.retrySchedule} END`,
      timeoutMs: sql`CASE WHEN ${p("setTimeoutMs")} THEN ${p("timeoutMs")} ELSE ${w.timeoutMs} END`,
      headers: sql`CASE WHEN ${p("setHeaders")} THEN ${p("headers")} ELSE ${w.headers} END`,
      // The controls: null clears one, so "keep" is a flag of its own.
      ordering: sql`CASE WHEN ${p("setOrdering")} THEN ${p("ordering")} ELSE ${w.ordering} END`,
      rateLimit: sql`CASE WHEN ${p("setRateLimit")} THEN ${p("rateLimit")} ELSE ${w.rateLimit} END`,
      updatedAt: sql`${p("now")}`,
    })
    .where(and(eq(w.id, p("id")), inScope))
    .returning()
    .prepare();
}

function statements(db: Db) {
  // The row only if its tenant exists (`default` always does): no foreign key says so, and a
  // tenant deleted since the request was checked must not gain a webhook.
  return {
    insert: compile(
      db.$client,
      sql`INSERT INTO ${w} (${bare(w.id)}, ${bare(w.url)}, ${bare(w.events)}, ${bare(w.active)}, ${bare(w.metadata)}, ${bare(w.secret)},
            ${bare(w.lastSuccessAt)}, ${bare(w.createdAt)}, ${bare(w.updatedAt)}, ${bare(w.tenantId)}, ${bare(w.filter)},
            ${bare(w.retrySchedule)}, ${bare(w.timeoutMs)}, ${bare(w.headers)}, ${bare(w.ordering)}, ${bare(w.rateLimit)})
          SELECT ${param("id")}, ${param("url")}, ${param("events")}, 1, ${param("metadata")}, ${param("secret")},
            ${param("now")}, ${param("now")}, ${param("now")}, ${param("tenantId")}, ${param("filter")},
            ${param("retrySchedule")}, ${param("timeoutMs")}, ${param("headers")}, ${param("ordering")}, ${param("rateLimit")}
          WHERE ${param("tenantId")} = ${param("defaultTenant")} OR exists (SELECT 1 FROM ${tenants} WHERE ${tenants.id} = ${param("tenantId")})`,
    ),
    byId: db.select().from(w).where(and(eq(w.id, p("id")), inScope)).prepare(),
    update: updateStatement(db, false),
    // Apart: naming `events` in SET fires the trigger that rewrites the subscriptions.
    updateWithEvents: updateStatement(db, true),
    delete: db.delete(w).where(and(eq(w.id, p("id")), inScope)).prepare(),
    // The right-hand sides read the row as it was: the current secret becomes the previous one.
    rotate: db
      .update(w)
      .set({ previousSecret: sql`${w.secret}`, secret: sql`${p("secret")}`, previousSecretExpiresAt: sql`${p("expiresAt")}`, updatedAt: sql`${p("now")}` })
      .where(and(eq(w.id, p("id")), inScope))
      .prepare(),
    list: new Map(LIST_SHAPES.map((shape) => [shapeKey(shape), listStatement(db, shape)])),
    /**
     * The webhook's queued rows join its line or leave it (delivery-queue.ts): leaving, the ones
     * that only waited for the line (never attempted) are due at once. Through the webhook's
     * index of all its rows: an update of `ordering` is rare.
     */
    syncFifo: compile(
      db.$client,
      sql`UPDATE ${d} SET ${bare(d.fifo)} = ${param("fifo")},
                          ${bare(d.nextAttemptAt)} = CASE WHEN ${param("fifo")} = 0 AND ${d.status} = 'pending' AND ${d.attempts} = 0
                                                          THEN min(${d.nextAttemptAt}, ${param("now")}) ELSE ${d.nextAttemptAt} END
           WHERE ${d.webhookId} = ${param("id")} AND ${d.status} IN ('pending', 'leased') AND ${d.fifo} <> ${param("fifo")}`,
    ),
  };
}

export class SqliteWebhookStore implements WebhookStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    /** The test event's inserts, inside sendTest's own transaction. */
    private readonly outbox: SqliteOutbox,
  ) {
    this.s = statements(db);
  }

  create(webhook: NewWebhook): Promise<boolean> {
    const { id, tenantId, url, secret, createdAt } = webhook;
    const params = {
      id, tenantId, defaultTenant: DEFAULT_TENANT, url, secret, now: createdAt, events: JSON.stringify(webhook.events), metadata: webhook.metadataJson, filter: webhook.filterJson ?? null,
      retrySchedule: controlJson(webhook.retrySchedule), timeoutMs: webhook.timeoutMs ?? null, headers: controlJson(webhook.headers),
      ordering: webhook.ordering ?? null, rateLimit: webhook.rateLimit ?? null,
    };
    // One statement that throws before writing anything: no savepoint of its own.
    return commitSoon(this.db, () => this.s.insert.run(params).changes === 1, { singleStatement: true });
  }

  async get(id: string, tenantId: string | null): Promise<WebhookRecord | undefined> {
    const row = this.s.byId.get({ id, tenantId });
    return row && toRecord(row);
  }

  async update(id: string, tenantId: string | null, changes: WebhookChanges, now: number): Promise<WebhookRecord | undefined> {
    const statement = changes.events === undefined ? this.s.update : this.s.updateWithEvents;
    const params = {
      id,
      tenantId,
      now,
      url: changes.url ?? null,
      events: changes.events === undefined ? null : JSON.stringify(changes.events),
      metadata: changes.metadataJson ?? null,
      secret: changes.secret ?? null,
      keepUntil: changes.keepPreviousUntil ?? null,
      active: changes.active === undefined ? null : changes.active ? 1 : 0,
      reason: changes.disabledReason ?? null,
      setFilter: changes.filterJson === undefined ? 0 : 1,
      filter: changes.filterJson ?? null,
      setRetrySchedule: changes.retrySchedule === undefined ? 0 : 1,
      retrySchedule: controlJson(changes.retrySchedule),
      setTimeoutMs: changes.timeoutMs === undefined ? 0 : 1,
      timeoutMs: changes.timeoutMs ?? null,
      setHeaders: changes.headers === undefined ? 0 : 1,
      headers: controlJson(changes.headers),
      setOrdering: changes.ordering === undefined ? 0 : 1,
      ordering: changes.ordering ?? null,
      setRateLimit: changes.rateLimit === undefined ? 0 : 1,
      rateLimit: changes.rateLimit ?? null,
    };
    if (changes.ordering === undefined) {
      const row = statement.get(params);
      return row && toRecord(row);
    }
    return this.db.$client.transaction(() => {
      const row = statement.get(params);
      if (row) this.s.syncFifo.run({ id: row.id, fifo: row.ordering === "fifo" ? 1 : 0, now });
      return row && toRecord(row);
    }).immediate();
  }

  async delete(id: string, tenantId: string | null): Promise<boolean> {
    return this.s.delete.run({ id, tenantId }).changes > 0;
  }

  async list(tenantId: string, filter: WebhookListFilter, page: PageRequest): Promise<Page<WebhookRecord>> {
    const before = rowIdOfCursor(page.cursor);
    const shape = { before: before !== null, active: filter.active !== undefined, event: Boolean(filter.event) };
    // Placeholders are bound as given: the boolean column is stored as 1 / 0.
    const active = filter.active === undefined ? undefined : filter.active ? 1 : 0;
    const rows = this.s.list.get(shapeKey(shape))!.all({ tenantId, before, active, event: filter.event, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => toRecord(r.row));
  }

  async rotateSecret(id: string, tenantId: string | null, secret: string, previousExpiresAt: number, now: number): Promise<boolean> {
    return this.s.rotate.run({ id, tenantId, secret, expiresAt: previousExpiresAt, now }).changes > 0;
  }

  async sendTest(id: string, tenantId: string | null, event: TestEvent): Promise<TestOutcome> {
    return this.db.transaction(
      (): TestOutcome => {
        const row = this.s.byId.get({ id, tenantId });
        if (!row) return { sent: false, reason: "missing" };
        if (!row.active) return { sent: false, reason: "disabled" };
        const [deliveryId] = this.outbox.enqueue({ ...event, tenantId: row.tenantId }, [{ transport: "http", webhookId: id }]);
        return { sent: true, deliveryId: deliveryId! };
      },
      // The write lock up front: the webhook read and the insert see the same state.
      { behavior: "immediate" },
    );
  }
}
