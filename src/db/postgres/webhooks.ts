// Link webhooks on PostgreSQL. The subscriptions table (webhook_event_types) is kept by the
// statements that change a webhook's events, in the same statement (SQLite keeps it by trigger).
// The tenant scope of a lookup is one more term of its WHERE clause (null: a platform caller).
import type { SQL as BunSQL } from "bun";
import { sql } from "drizzle-orm";
import type { Page, PageRequest } from "../aggregates/page";
import type { NewWebhook, TestEvent, TestOutcome, WebhookChanges, WebhookListFilter, WebhookRecord, WebhookStore } from "../aggregates/webhooks";
import { DEFAULT_TENANT } from "../schema";
import { decodeKeysetCursor, keysetPage } from "./keyset-page";
import type { PostgresPublishStore } from "./publish";
import { deliveries as d, tenants, webhookEventTypes as s, webhooks as w } from "./schema";
import { bare, compile, int8, int8OrNull, param } from "./sql";

interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string;
  active: boolean;
  metadata: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | number | null;
  disabled_reason: string | null;
  filter: string | null;
  created_at: string | number;
  updated_at: string | number;
  retry_schedule: string | null;
  timeout_ms: number | null;
  headers: string | null;
  ordering: "fifo" | null;
  rate_limit: number | null;
}

function toRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: JSON.parse(row.events),
    active: row.active,
    metadataJson: row.metadata,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: int8OrNull(row.previous_secret_expires_at),
    disabledReason: row.disabled_reason,
    filterJson: row.filter,
    createdAt: int8(row.created_at),
    updatedAt: int8(row.updated_at),
    retrySchedule: row.retry_schedule === null ? null : JSON.parse(row.retry_schedule),
    timeoutMs: row.timeout_ms,
    headers: row.headers === null ? null : JSON.parse(row.headers),
    ordering: row.ordering,
    rateLimit: row.rate_limit,
  };
}

/** A delivery control as its column holds it: JSON text, null for none. */
const controlJson = (value: object | null | undefined): string | null => (value == null ? null : JSON.stringify(value));

const columns = sql`${w.id}, ${w.tenantId}, ${w.url}, ${w.events}, ${w.active}, ${w.metadata}, ${w.secret}, ${w.previousSecret},
                    ${w.previousSecretExpiresAt}, ${w.disabledReason}, ${w.filter}, ${w.createdAt}, ${w.updatedAt},
                    ${w.retrySchedule}, ${w.timeoutMs}, ${w.headers}, ${w.ordering}, ${w.rateLimit}`;
const inScope = sql`(${param("tenantId")}::text IS NULL OR ${w.tenantId} = ${param("tenantId")})`;

/** The subscriptions of the webhooks in `changed` (id, tenant_id), one per distinct type of `types`. */
const subscribe = (changed: string) => sql`
  INSERT INTO ${s} (${bare(s.tenantId)}, ${bare(s.eventType)}, ${bare(s.webhookId)})
  SELECT DISTINCT c.tenant_id, t.type, c.id FROM ${sql.raw(changed)} c, unnest(${param("types")}::text[]) AS t(type)
  ON CONFLICT DO NOTHING`;

function statements() {
  return {
    // The row only if its tenant exists (`default` always does), locked against its delete until commit.
    create: compile<{ id: string }>(sql`
      WITH created AS (
        INSERT INTO ${w} (${bare(w.id)}, ${bare(w.url)}, ${bare(w.events)}, ${bare(w.active)}, ${bare(w.metadata)}, ${bare(w.secret)},
                          ${bare(w.lastSuccessAt)}, ${bare(w.createdAt)}, ${bare(w.updatedAt)}, ${bare(w.tenantId)}, ${bare(w.filter)},
                          ${bare(w.retrySchedule)}, ${bare(w.timeoutMs)}, ${bare(w.headers)}, ${bare(w.ordering)}, ${bare(w.rateLimit)})
        SELECT ${param("id")}, ${param("url")}, ${param("events")}, true, ${param("metadata")}, ${param("secret")},
               ${param("now")}::int8, ${param("now")}::int8, ${param("now")}::int8, ${param("tenantId")}, ${param("filter")}::text,
               ${param("retrySchedule")}::text, ${param("timeoutMs")}::int4, ${param("headers")}::text, ${param("ordering")}::text, ${param("rateLimit")}::int4
         WHERE ${param("tenantId")}::text = ${param("defaultTenant")}
            OR EXISTS (SELECT 1 FROM ${tenants} WHERE ${tenants.id} = ${param("tenantId")} FOR KEY SHARE)
        RETURNING ${bare(w.id)}, ${bare(w.tenantId)}
      ),
      subscribed AS (${subscribe("created")})
      SELECT id FROM created`),
    byId: compile<WebhookRow>(sql`SELECT ${columns} FROM ${w} WHERE ${w.id} = ${param("id")} AND ${inScope}`),
    /**
     * A null parameter keeps the stored value. Enabling clears the reason and restarts the
     * auto-disable clock; a new secret retires the previous one at once, or with `keepUntil` makes
     * the current one the previous (right-hand sides read the row as it was). New events rewrite the
     * subscriptions: the types no longer named go, the new ones come.
     */
    update: compile<WebhookRow>(sql`
      WITH changed AS (
        UPDATE ${w} SET
          ${bare(w.url)} = coalesce(${param("url")}, ${w.url}),
          ${bare(w.events)} = coalesce(${param("events")}, ${w.events}),
          ${bare(w.metadata)} = coalesce(${param("metadata")}, ${w.metadata}),
          ${bare(w.secret)} = coalesce(${param("secret")}, ${w.secret}),
          ${bare(w.previousSecret)} = CASE WHEN ${param("secret")}::text IS NULL THEN ${w.previousSecret}
                                           WHEN ${param("keepUntil")}::int8 IS NOT NULL THEN ${w.secret} END,
          ${bare(w.previousSecretExpiresAt)} = CASE WHEN ${param("secret")}::text IS NULL THEN ${w.previousSecretExpiresAt} ELSE ${param("keepUntil")}::int8 END,
          ${bare(w.active)} = coalesce(${param("active")}::boolean, ${w.active}),
          ${bare(w.filter)} = CASE WHEN ${param("setFilter")}::boolean THEN ${param("filter")}::text ELSE ${w.filter} END,
          ${bare(w.disabledReason)} = CASE ${param("active")}::boolean WHEN true THEN NULL WHEN false THEN ${param("reason")} ELSE ${w.disabledReason} END,
          ${bare(w.lastSuccessAt)} = CASE ${param("active")}::boolean WHEN true THEN ${param("now")}::int8 ELSE ${w.lastSuccessAt} END,
          -- A control is set only when named (set_… true), and may be set to null (removed).
          ${bare(w.retrySchedule)} = CASE WHEN ${param("setRetrySchedule")}::boolean THEN ${param("retrySchedule")}::text ELSE ${w.retrySchedule} END,
          ${bare(w.timeoutMs)} = CASE WHEN ${param("setTimeoutMs")}::boolean THEN ${param("timeoutMs")}::int4 ELSE ${w.timeoutMs} END,
          ${bare(w.headers)} = CASE WHEN ${param("setHeaders")}::boolean THEN ${param("headers")}::text ELSE ${w.headers} END,
          ${bare(w.ordering)} = CASE WHEN ${param("setOrdering")}::boolean THEN ${param("ordering")}::text ELSE ${w.ordering} END,
          ${bare(w.rateLimit)} = CASE WHEN ${param("setRateLimit")}::boolean THEN ${param("rateLimit")}::int4 ELSE ${w.rateLimit} END,
          ${bare(w.updatedAt)} = ${param("now")}::int8
        WHERE ${w.id} = ${param("id")} AND ${inScope}
        RETURNING ${columns}
      ),
      -- The queued rows join the line or leave it (delivery-queue.ts); leaving, those that only
      -- waited for it (never attempted) are due at once.
      lined_up AS (
        UPDATE ${d} SET ${bare(d.fifo)} = c.ordering IS NOT DISTINCT FROM 'fifo',
                        ${bare(d.nextAttemptAt)} = CASE WHEN c.ordering IS NULL AND ${d.status} = 'pending' AND ${d.attempts} = 0
                                                        THEN least(${d.nextAttemptAt}, ${param("now")}::int8) ELSE ${d.nextAttemptAt} END
          FROM changed c
         WHERE ${param("setOrdering")}::boolean AND ${d.webhookId} = c.id AND ${d.status} IN ('pending', 'leased')
           AND ${d.fifo} IS DISTINCT FROM (c.ordering IS NOT DISTINCT FROM 'fifo')
      ),
      unsubscribed AS (
        DELETE FROM ${s} USING changed c
         WHERE ${param("events")}::text IS NOT NULL AND ${s.webhookId} = c.id AND ${s.eventType} <> ALL(${param("types")}::text[])
      ),
      subscribed AS (${subscribe("changed")})
      SELECT * FROM changed`),
    // Its subscriptions go with it (no foreign key cascades them; schema.ts).
    delete: compile(sql`
      WITH gone AS (DELETE FROM ${w} WHERE ${w.id} = ${param("id")} AND ${inScope} RETURNING ${w.id} AS id),
      unsubscribed AS (DELETE FROM ${s} USING gone WHERE ${s.webhookId} = gone.id)
      SELECT id FROM gone`),
    // The right-hand sides read the row as it was: the current secret becomes the previous one.
    rotate: compile(sql`
      UPDATE ${w} SET ${bare(w.previousSecret)} = ${w.secret}, ${bare(w.secret)} = ${param("secret")},
                      ${bare(w.previousSecretExpiresAt)} = ${param("expiresAt")}::int8, ${bare(w.updatedAt)} = ${param("now")}::int8
       WHERE ${w.id} = ${param("id")} AND ${inScope}
      RETURNING ${w.id}`),
    // Newest first by (created_at, id); the filters are off when their parameter is null.
    list: compile<WebhookRow>(sql`
      SELECT ${columns} FROM ${w}
       WHERE ${w.tenantId} = ${param("tenantId")}
         AND (${param("beforeAt")}::int8 IS NULL OR (${w.createdAt}, ${w.id}) < (${param("beforeAt")}::int8, ${param("beforeId")}::text))
         AND (${param("active")}::boolean IS NULL OR ${w.active} = ${param("active")}::boolean)
         AND (${param("event")}::text IS NULL OR EXISTS (
               SELECT 1 FROM ${s} WHERE ${s.tenantId} = ${w.tenantId} AND ${s.eventType} = ${param("event")} AND ${s.webhookId} = ${w.id}))
       ORDER BY ${w.createdAt} DESC, ${w.id} DESC LIMIT ${param("limit")}`),
    lockForTest: compile<{ tenant_id: string; active: boolean }>(sql`
      SELECT ${w.tenantId}, ${w.active} FROM ${w} WHERE ${w.id} = ${param("id")} AND ${inScope} FOR KEY SHARE`),
  };
}

export class PostgresWebhookStore implements WebhookStore {
  private readonly s = statements();

  constructor(
    private readonly client: BunSQL,
    private readonly outbox: PostgresPublishStore,
  ) {}

  async create(webhook: NewWebhook): Promise<boolean> {
    const { id, tenantId, url, secret, createdAt } = webhook;
    const rows = await this.s.create.run(this.client, {
      id, tenantId, defaultTenant: DEFAULT_TENANT, url, secret, now: createdAt,
      events: JSON.stringify(webhook.events), metadata: webhook.metadataJson, types: webhook.events, filter: webhook.filterJson ?? null,
      retrySchedule: controlJson(webhook.retrySchedule), timeoutMs: webhook.timeoutMs ?? null, headers: controlJson(webhook.headers),
      ordering: webhook.ordering ?? null, rateLimit: webhook.rateLimit ?? null,
    });
    return rows.length === 1;
  }

  async get(id: string, tenantId: string | null): Promise<WebhookRecord | undefined> {
    const [row] = await this.s.byId.run(this.client, { id, tenantId });
    return row && toRecord(row);
  }

  async update(id: string, tenantId: string | null, changes: WebhookChanges, now: number): Promise<WebhookRecord | undefined> {
    const [row] = await this.s.update.run(this.client, {
      id,
      tenantId,
      now,
      url: changes.url ?? null,
      events: changes.events === undefined ? null : JSON.stringify(changes.events),
      types: changes.events ?? [],
      metadata: changes.metadataJson ?? null,
      secret: changes.secret ?? null,
      keepUntil: changes.keepPreviousUntil ?? null,
      active: changes.active ?? null,
      reason: changes.disabledReason ?? null,
      setFilter: changes.filterJson !== undefined,
      filter: changes.filterJson ?? null,
      setRetrySchedule: changes.retrySchedule !== undefined,
      retrySchedule: controlJson(changes.retrySchedule),
      setTimeoutMs: changes.timeoutMs !== undefined,
      timeoutMs: changes.timeoutMs ?? null,
      setHeaders: changes.headers !== undefined,
      headers: controlJson(changes.headers),
      setOrdering: changes.ordering !== undefined,
      ordering: changes.ordering ?? null,
      setRateLimit: changes.rateLimit !== undefined,
      rateLimit: changes.rateLimit ?? null,
    });
    return row && toRecord(row);
  }

  async delete(id: string, tenantId: string | null): Promise<boolean> {
    return (await this.s.delete.run(this.client, { id, tenantId })).length > 0;
  }

  async list(tenantId: string, filter: WebhookListFilter, page: PageRequest): Promise<Page<WebhookRecord>> {
    const before = decodeKeysetCursor(page.cursor);
    const rows = await this.s.list.run(this.client, {
      tenantId,
      beforeAt: before?.createdAt ?? null,
      beforeId: before?.id ?? null,
      active: filter.active ?? null,
      event: filter.event || null,
      limit: page.limit + 1,
    });
    return keysetPage(rows.map(toRecord), page.limit);
  }

  async rotateSecret(id: string, tenantId: string | null, secret: string, previousExpiresAt: number, now: number): Promise<boolean> {
    return (await this.s.rotate.run(this.client, { id, tenantId, secret, expiresAt: previousExpiresAt, now })).length > 0;
  }

  async sendTest(id: string, tenantId: string | null, event: TestEvent): Promise<TestOutcome> {
    return this.client.begin(async (tx): Promise<TestOutcome> => {
      // Locked against a delete until the delivery is in.
      const [row] = await this.s.lockForTest.run(tx, { id, tenantId });
      if (!row) return { sent: false, reason: "missing" };
      if (!row.active) return { sent: false, reason: "disabled" };
      const [deliveryId] = await this.outbox.enqueueOn(tx, { ...event, tenantId: row.tenant_id }, [{ transport: "http", webhookId: id }]);
      return { sent: true, deliveryId: deliveryId! };
    });
  }
}
