// The delivery log on SQLite. A webhook's list walks deliveries_webhook_idx, a tenant's search
// deliveries_tenant_created_idx, both newest first (log-pages.ts); filters no index answers
// (status in a search, event type, event id) are checked on each row, within a bounded window.
import type { Database } from "better-sqlite3";
import { sql, type SQL } from "drizzle-orm";
import type {
  AttemptRecord,
  BulkRetryOutcome,
  DeliveryFilters,
  DeliveryLogStore,
  DeliveryRecord,
  DeliveryStatus,
  LogPage,
  PageRequest,
  RecoverOutcome,
  RetryOutcome,
  SearchRequest,
} from "../aggregates/delivery-log";
import { deliveries as d, deliveryAttempts as a, events as e, webhooks as w } from "../schema";
import { encodeRowIdCursor } from "./rowid-page";
import { allOf, cutPage, NewestFirst, ShapedStatements, type PageStart, type StartValues } from "./log-pages";
import { bare, compile, param } from "./sql";

/** The columns of a DeliveryRecord, from deliveries joined with their events. */
export function deliveryRecordColumns(rowId: SQL): SQL {
  return sql`${d.id} AS id, coalesce(${e.publicId}, ${e.id}) AS eventId, ${d.tenantId} AS tenantId, ${e.type} AS eventType,
    ${d.webhookId} AS webhookId, ${d.status} AS status, ${d.attempts} AS attempts, ${d.nextAttemptAt} AS nextAttemptAt,
    ${d.lastStatusCode} AS lastStatusCode, ${d.lastError} AS lastError, ${d.createdAt} AS createdAt, ${d.updatedAt} AS updatedAt,
    ${d.deliveredAt} AS deliveredAt, ${rowId} AS rowId`;
}

type Row = DeliveryRecord & { rowId: number };
export const toRecord = ({ rowId: _, ...record }: Row): DeliveryRecord => record;

interface SearchShape {
  byWebhook: boolean;
  start: PageStart;
  since: boolean;
  until: boolean;
  status: boolean;
  eventType: boolean;
  eventId: boolean;
  /** Bounded by the edge of the request's window. */
  edge: boolean;
}

const shapeKey = (s: SearchShape) => [s.byWebhook, s.start, s.since, s.until, s.status, s.eventType, s.eventId, s.edge].map((v) => (typeof v === "boolean" ? +v : v)).join(":");

export class SqliteDeliveryLog implements DeliveryLogStore {
  private readonly page: NewestFirst;
  private readonly s;
  private readonly searchRows: ShapedStatements<SearchShape>;
  private readonly searchEdge: ShapedStatements<SearchShape>;
  private readonly retryOne;
  private readonly recoverTx;
  private readonly retryMatchingTx;

  constructor(sqlite: Database) {
    const page = (this.page = new NewestFirst(sqlite, d, d.createdAt));
    const joined = sql`${d} INNER JOIN ${e} ON ${e.id} = ${d.eventId}`;
    const columns = deliveryRecordColumns(page.rowId);
    const listOf = (start: PageStart, byStatus: boolean) =>
      compile(
        sqlite,
        sql`SELECT ${columns} FROM ${joined}
            WHERE ${allOf([sql`${d.webhookId} = ${param("webhookId")}`, page.after(start), byStatus ? sql`${d.status} = ${param("status")}` : undefined])}
            ORDER BY ${page.orderBy} LIMIT ${param("limit")}`,
      );
    const starts: PageStart[] = ["start", "afterRow", "afterRowid"];
    // A row made due again joins its webhook's fifo line if it has one now, at its place in
    // publish order (docs/architecture.md, "Ordering and rate limits"): ahead of the rows still waiting.
    const inLineNow = sql`coalesce((SELECT ${w.ordering} = 'fifo' FROM ${w} WHERE ${w.id} = ${d.webhookId}), 0)`;
    this.s = {
      // Each start and filter is its own statement, so each walks the index from its seek.
      list: new Map(starts.flatMap((start) => [false, true].map((byStatus) => [`${start}:${+byStatus}`, listOf(start, byStatus)] as const))),
      webhook: compile(sqlite, sql`SELECT ${w.tenantId} AS tenantId, ${w.active} AS active FROM ${w} WHERE ${w.id} = ${param("id")}`),
      byId: compile(sqlite, sql`SELECT ${columns} FROM ${joined} WHERE ${d.id} = ${param("id")}`),
      attempts: compile(
        sqlite,
        sql`SELECT ${a.attemptedAt} AS attemptedAt, ${a.durationMs} AS durationMs, ${a.statusCode} AS statusCode, ${a.responseBody} AS responseBody, ${a.error} AS error
            FROM ${a} WHERE ${a.deliveryId} = ${param("id")} ORDER BY ${a.attemptedAt}, ${a.id}`,
      ),
      retryState: compile(
        sqlite,
        sql`SELECT ${d.status} AS status, ${d.leaseExpiresAt} AS leaseExpiresAt, ${d.webhookId} AS webhookId, ${d.tenantId} AS tenantId FROM ${d} WHERE ${d.id} = ${param("id")}`,
      ),
      makeDue: compile(
        sqlite,
        sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("now")},
              ${bare(d.leaseExpiresAt)} = NULL, ${bare(d.updatedAt)} = ${param("now")}, ${bare(d.fifo)} = ${inLineNow}
            WHERE ${d.id} IN (SELECT value FROM json_each(${param("ids")}))`,
      ),
      recover: compile(
        sqlite,
        sql`UPDATE ${d} SET ${bare(d.status)} = 'pending', ${bare(d.nextAttemptAt)} = ${param("now")}, ${bare(d.updatedAt)} = ${param("now")},
              ${bare(d.fifo)} = ${inLineNow}
            WHERE ${d.webhookId} = ${param("webhookId")} AND ${d.status} = 'failed' AND ${d.createdAt} >= ${param("since")}`,
      ),
      activeOf: compile(sqlite, sql`SELECT ${w.id} FROM ${w} WHERE ${w.id} IN (SELECT value FROM json_each(${param("ids")})) AND ${w.active} = 1`).pluck(),
    };
    const walk = (s: SearchShape) => [
      s.byWebhook ? sql`${d.webhookId} = ${param("scopeId")}` : sql`${d.tenantId} = ${param("scopeId")}`,
      page.after(s.start),
      s.since ? sql`${d.createdAt} >= ${param("since")}` : undefined,
      s.until ? sql`${d.createdAt} < ${param("until")}` : undefined,
    ];
    // The edge of a window: an index-only walk, no join.
    this.searchEdge = new ShapedStatements(sqlite, shapeKey, (s) =>
      sql`SELECT ${d.createdAt} AS createdAt, ${page.rowId} AS rowId FROM ${d} WHERE ${allOf(walk(s))} ORDER BY ${page.orderBy} LIMIT 1 OFFSET ${param("skip")}`,
    );
    this.searchRows = new ShapedStatements(sqlite, shapeKey, (s) =>
      sql`SELECT ${columns} FROM ${joined}
          WHERE ${allOf([
            ...walk(s),
            s.status ? sql`${d.status} = ${param("status")}` : undefined,
            s.eventType ? sql`${e.type} = ${param("eventType")}` : undefined,
            s.eventId ? sql`${e.publicId} = ${param("eventId")}` : undefined,
            s.edge ? page.notBefore() : undefined,
          ])}
          ORDER BY ${page.orderBy} LIMIT ${param("limit")}`,
    );
    // IMMEDIATE: the write lock up front, so what is checked is what is written.
    this.retryOne = sqlite.transaction((id: string, owner: string | null, now: number) => this.retryNow(id, owner, now));
    this.recoverTx = sqlite.transaction((webhookId: string, owner: string | null, since: number, now: number) => this.recoverNow(webhookId, owner, since, now));
    this.retryMatchingTx = sqlite.transaction((tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest, now: number) =>
      this.retryMatchingNow(tenantId, owner, filters, request, now),
    );
  }

  async listForWebhook(webhookId: string, owner: string | null, status: DeliveryStatus | undefined, request: PageRequest): Promise<LogPage<DeliveryRecord> | null> {
    if (!this.webhookOf(webhookId, owner)) return null;
    const { start, values } = this.page.start(request.cursor);
    const statement = this.s.list.get(`${start}:${+(status !== undefined)}`)!;
    const rows = statement.all({ ...values, webhookId, status, limit: request.limit + 1 }) as Row[];
    return cutPage(rows, request.limit, toRecord);
  }

  async search(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest): Promise<LogPage<DeliveryRecord> | null> {
    return this.searchNow(tenantId, owner, filters, request);
  }

  async get(id: string, owner: string | null): Promise<{ delivery: DeliveryRecord; attempts: AttemptRecord[] } | null> {
    const delivery = this.ownDelivery(id, owner);
    if (!delivery) return null;
    return { delivery, attempts: this.s.attempts.all({ id }) as AttemptRecord[] };
  }

  async retry(id: string, owner: string | null, now: number): Promise<RetryOutcome> {
    return this.retryOne.immediate(id, owner, now);
  }

  async recoverFailed(webhookId: string, owner: string | null, since: number, now: number): Promise<RecoverOutcome> {
    return this.recoverTx.immediate(webhookId, owner, since, now);
  }

  async retryMatching(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest, now: number): Promise<BulkRetryOutcome | null> {
    return this.retryMatchingTx.immediate(tenantId, owner, filters, request, now);
  }

  /** The webhook, if the owner (null: anyone) may see it. */
  private webhookOf(id: string, owner: string | null): { active: boolean } | undefined {
    const row = this.s.webhook.get({ id }) as { tenantId: string; active: number } | undefined;
    if (!row || (owner !== null && row.tenantId !== owner)) return undefined;
    return { active: row.active === 1 };
  }

  /** Another tenant's delivery is answered exactly like one that does not exist. */
  private ownDelivery(id: string, owner: string | null): DeliveryRecord | undefined {
    const row = this.s.byId.get({ id }) as Row | undefined;
    if (!row || (owner !== null && row.tenantId !== owner)) return undefined;
    return toRecord(row);
  }

  private retryNow(id: string, owner: string | null, now: number): RetryOutcome {
    const current = this.s.retryState.get({ id }) as { status: DeliveryStatus; leaseExpiresAt: number | null; webhookId: string | null; tenantId: string } | undefined;
    if (!current || (owner !== null && current.tenantId !== owner)) return { kind: "missing" };
    // A lease that has run out (the process that held it died) is not an attempt in progress.
    if (current.status === "leased" && (current.leaseExpiresAt ?? 0) > now) return { kind: "in_flight" };
    if (current.webhookId !== null && !this.webhookOf(current.webhookId, null)?.active) return { kind: "webhook_disabled" };
    this.s.makeDue.run({ ids: JSON.stringify([id]), now });
    return { kind: "retried", delivery: this.ownDelivery(id, owner)! };
  }

  private recoverNow(webhookId: string, owner: string | null, since: number, now: number): RecoverOutcome {
    const webhook = this.webhookOf(webhookId, owner);
    if (!webhook) return { kind: "missing" };
    if (!webhook.active) return { kind: "webhook_disabled" };
    return { kind: "recovered", count: this.s.recover.run({ webhookId, since, now }).changes };
  }

  private searchNow(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest): LogPage<DeliveryRecord> | null {
    if (filters.webhookId !== undefined && !this.webhookOf(filters.webhookId, owner)) return null;
    const { start, values } = this.page.start(request.cursor);
    const shape: SearchShape = {
      byWebhook: filters.webhookId !== undefined,
      start,
      since: filters.since !== undefined,
      until: filters.until !== undefined,
      status: filters.status !== undefined,
      eventType: filters.eventType !== undefined,
      eventId: filters.eventId !== undefined,
      edge: false,
    };
    const bound = { ...values, ...filters, scopeId: filters.webhookId ?? tenantId };
    // With no filter left for the rows, every row of the walk matches: a plain page. Otherwise
    // find the edge of this request's window first, then the matches inside it.
    const filtered = shape.status || shape.eventType || shape.eventId;
    const edge = filtered ? (this.searchEdge.get(shape).get({ ...bound, skip: request.window - 1 }) as { createdAt: number; rowId: number } | undefined) : undefined;
    const rows = this.searchRows.get({ ...shape, edge: edge !== undefined }).all({ ...bound, edgeAt: edge?.createdAt, edgeRowId: edge?.rowId, limit: request.limit + 1 }) as Row[];
    const found = cutPage(rows, request.limit, toRecord);
    if (found.hasMore || !edge) return found;
    // The window ended before the page filled: go on after its last row next time.
    return { items: found.items, nextCursor: encodeRowIdCursor(edge.rowId), hasMore: true };
  }

  private retryMatchingNow(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest, now: number): BulkRetryOutcome | null {
    const found = this.searchNow(tenantId, owner, filters, request);
    if (!found) return null;
    const webhookIds = [...new Set(found.items.flatMap((r) => (r.webhookId ? [r.webhookId] : [])))];
    const active = new Set(webhookIds.length === 0 ? [] : (this.s.activeOf.all({ ids: JSON.stringify(webhookIds) }) as string[]));
    const due = found.items.filter((r) => r.status !== "leased" && (r.webhookId === null || active.has(r.webhookId))).map((r) => r.id);
    if (due.length > 0) this.s.makeDue.run({ ids: JSON.stringify(due), now });
    return { retried: due.length, skipped: found.items.length - due.length, nextCursor: found.nextCursor, hasMore: found.hasMore };
  }
}
