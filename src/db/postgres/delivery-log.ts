// The delivery log on PostgreSQL, as ../sqlite/delivery-log.ts: a webhook's list walks
// deliveries_webhook_idx, a tenant's search deliveries_tenant_created_idx, both newest first by
// (created_at, id) (keyset-page.ts); filters no index answers (status in a search, event type,
// event id) are checked on each row within a bounded window. Queries are built per call from the
// filters present, so each shape is its own statement text (Bun prepares each once per
// connection) and every one seeks its index from the cursor.
//
// Writes that check before they change lock what they check: a retry locks its delivery row, so
// the state it decided on is the state it changes. The webhook's `active` is read, not locked (a
// delivery made due just as its webhook is disabled is skipped by the loop), which keeps these
// transactions from ever holding a webhook while waiting for a delivery: the loop's turns take
// deliveries first, then webhooks.
import { and, asc, count, desc, eq, gte, inArray, lt, ne, or, isNull, sql, type SQL } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
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
import { beforeCursor, encodeKeysetCursor, keysetPage, type Keyset } from "./keyset-page";
import { deliveries as d, deliveryAttempts as a, events as e, webhooks as w } from "./schema";

type Db = BunSQLDatabase;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Runner = Db | Tx;

/** The columns of a DeliveryRecord, from deliveries joined with their events. */
export const deliveryRecord = {
  id: d.id,
  eventId: sql<string>`coalesce(${e.publicId}, ${e.id})`.as("event_public_id"),
  tenantId: d.tenantId,
  eventType: e.type,
  webhookId: d.webhookId,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  deliveredAt: d.deliveredAt,
};

const newestFirst = [desc(d.createdAt), desc(d.id)];

/** A LogPage of rows fetched newest first, `limit + 1` of them. */
export function logPage<T extends Keyset, R>(rows: T[], limit: number, toItem: (row: T) => R): LogPage<R> {
  const page = keysetPage(rows, limit);
  return { items: page.rows.map(toItem), nextCursor: page.nextCursor, hasMore: page.nextCursor !== null };
}

const same = (r: DeliveryRecord) => r;

export class PostgresDeliveryLog implements DeliveryLogStore {
  constructor(private readonly db: Db) {}

  async listForWebhook(webhookId: string, owner: string | null, status: DeliveryStatus | undefined, request: PageRequest): Promise<LogPage<DeliveryRecord> | null> {
    if (!(await this.webhookOf(this.db, webhookId, owner))) return null;
    const rows = await this.db
      .select(deliveryRecord)
      .from(d)
      .innerJoin(e, eq(e.id, d.eventId))
      .where(and(eq(d.webhookId, webhookId), beforeCursor(d.createdAt, d.id, request.cursor), status ? eq(d.status, status) : undefined))
      .orderBy(...newestFirst)
      .limit(request.limit + 1);
    return logPage(rows, request.limit, same);
  }

  async search(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest): Promise<LogPage<DeliveryRecord> | null> {
    return this.searchOn(this.db, tenantId, owner, filters, request);
  }

  async get(id: string, owner: string | null): Promise<{ delivery: DeliveryRecord; attempts: AttemptRecord[] } | null> {
    const delivery = await this.ownDelivery(this.db, id, owner);
    if (!delivery) return null;
    const attempts = await this.db
      .select({ attemptedAt: a.attemptedAt, durationMs: a.durationMs, statusCode: a.statusCode, responseBody: a.responseBody, error: a.error })
      .from(a)
      .where(eq(a.deliveryId, id))
      .orderBy(asc(a.attemptedAt), asc(a.id));
    return { delivery, attempts };
  }

  async retry(id: string, owner: string | null, now: number): Promise<RetryOutcome> {
    return this.db.transaction(async (tx): Promise<RetryOutcome> => {
      const [current] = await tx
        .select({ status: d.status, leaseExpiresAt: d.leaseExpiresAt, webhookId: d.webhookId, tenantId: d.tenantId })
        .from(d)
        .where(eq(d.id, id))
        .for("update");
      if (!current || (owner !== null && current.tenantId !== owner)) return { kind: "missing" };
      // A lease that has run out (the node that held it died) is not an attempt in progress.
      if (current.status === "leased" && (current.leaseExpiresAt ?? 0) > now) return { kind: "in_flight" };
      if (current.webhookId !== null && !(await this.webhookOf(tx, current.webhookId, null))?.active) return { kind: "webhook_disabled" };
      await makeDue(tx, [id], now);
      return { kind: "retried", delivery: (await this.ownDelivery(tx, id, owner))! };
    });
  }

  async recoverFailed(webhookId: string, owner: string | null, since: number, now: number): Promise<RecoverOutcome> {
    return this.db.transaction(async (tx): Promise<RecoverOutcome> => {
      const webhook = await this.webhookOf(tx, webhookId, owner);
      if (!webhook) return { kind: "missing" };
      if (!webhook.active) return { kind: "webhook_disabled" };
      const recovered = await tx
        .update(d)
        .set({ status: "pending", nextAttemptAt: now, updatedAt: now })
        .where(and(eq(d.webhookId, webhookId), eq(d.status, "failed"), gte(d.createdAt, since)))
        .returning({ id: d.id });
      return { kind: "recovered", count: recovered.length };
    });
  }

  async retryMatching(tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest, now: number): Promise<BulkRetryOutcome | null> {
    return this.db.transaction(async (tx): Promise<BulkRetryOutcome | null> => {
      const found = await this.searchOn(tx, tenantId, owner, filters, request);
      if (!found) return null;
      const candidates = found.items.filter((r) => r.status !== "leased").map((r) => r.id);
      // Checked again as each row is written: not leased (by a claim since the read), webhook still active.
      const retried =
        candidates.length === 0
          ? []
          : await tx
              .update(d)
              .set({ status: "pending", nextAttemptAt: now, leaseExpiresAt: null, leaseToken: null, updatedAt: now })
              .where(
                and(
                  inArray(d.id, candidates),
                  ne(d.status, "leased"),
                  or(isNull(d.webhookId), sql`EXISTS (SELECT 1 FROM ${w} WHERE ${w.id} = ${d.webhookId} AND ${w.active})`),
                ),
              )
              .returning({ id: d.id });
      return { retried: retried.length, skipped: found.items.length - retried.length, nextCursor: found.nextCursor, hasMore: found.hasMore };
    });
  }

  /** The webhook, if the owner (null: anyone) may see it. */
  private async webhookOf(on: Runner, id: string, owner: string | null): Promise<{ active: boolean } | undefined> {
    const [row] = await on.select({ tenantId: w.tenantId, active: w.active }).from(w).where(eq(w.id, id));
    if (!row || (owner !== null && row.tenantId !== owner)) return undefined;
    return { active: row.active };
  }

  /** Another tenant's delivery is answered exactly like one that does not exist. */
  private async ownDelivery(on: Runner, id: string, owner: string | null): Promise<DeliveryRecord | undefined> {
    const [row] = await on.select(deliveryRecord).from(d).innerJoin(e, eq(e.id, d.eventId)).where(eq(d.id, id));
    if (!row || (owner !== null && row.tenantId !== owner)) return undefined;
    return row;
  }

  private async searchOn(on: Runner, tenantId: string, owner: string | null, filters: DeliveryFilters, request: SearchRequest): Promise<LogPage<DeliveryRecord> | null> {
    if (filters.webhookId !== undefined && !(await this.webhookOf(on, filters.webhookId, owner))) return null;
    const walk: (SQL | undefined)[] = [
      filters.webhookId !== undefined ? eq(d.webhookId, filters.webhookId) : eq(d.tenantId, tenantId),
      beforeCursor(d.createdAt, d.id, request.cursor),
      filters.since !== undefined ? gte(d.createdAt, filters.since) : undefined,
      filters.until !== undefined ? lt(d.createdAt, filters.until) : undefined,
    ];
    // With no filter left for the rows, every row of the walk matches: a plain page. Otherwise
    // find the edge of this request's window first (an index-only walk, no join), then the
    // matches inside it.
    const filtered = filters.status !== undefined || filters.eventType !== undefined || filters.eventId !== undefined;
    const [edge] = filtered
      ? await on
          .select({ createdAt: d.createdAt, id: d.id })
          .from(d)
          .where(and(...walk))
          .orderBy(...newestFirst)
          .limit(1)
          .offset(request.window - 1)
      : [];
    const rows = await on
      .select(deliveryRecord)
      .from(d)
      .innerJoin(e, eq(e.id, d.eventId))
      .where(
        and(
          ...walk,
          filters.status !== undefined ? eq(d.status, filters.status) : undefined,
          filters.eventType !== undefined ? eq(e.type, filters.eventType) : undefined,
          filters.eventId !== undefined ? eq(e.publicId, filters.eventId) : undefined,
          edge ? sql`(${d.createdAt}, ${d.id}) >= (${edge.createdAt}, ${edge.id})` : undefined,
        ),
      )
      .orderBy(...newestFirst)
      .limit(request.limit + 1);
    const found = logPage(rows, request.limit, same);
    if (found.hasMore || !edge) return found;
    // The window ended before the page filled: go on after its last row next time.
    return { items: found.items, nextCursor: encodeKeysetCursor(edge), hasMore: true };
  }
}

async function makeDue(tx: Tx, ids: string[], now: number): Promise<void> {
  await tx.update(d).set({ status: "pending", nextAttemptAt: now, leaseExpiresAt: null, leaseToken: null, updatedAt: now }).where(inArray(d.id, ids));
}

/** How many deliveries an event has. */
export async function deliveryCount(on: Runner, eventId: string): Promise<number> {
  const [row] = await on.select({ n: count() }).from(d).where(eq(d.eventId, eventId));
  return row?.n ?? 0;
}
