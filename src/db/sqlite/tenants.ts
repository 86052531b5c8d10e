// Tenants on SQLite. A tenant's delete takes its keys, webhooks and events in one transaction;
// deliveries and attempts cascade from their event and webhook.
import { count, desc, eq, inArray, sql } from "drizzle-orm";
import type { Page, PageRequest } from "../aggregates/page";
import type { RemovedWithTenant, TenantChanges, TenantRecord, TenantStore } from "../aggregates/tenants";
import type { Db } from "../client";
import { apiKeys, DEFAULT_TENANT, deliveries, events, tenants, webhooks } from "../schema";
import { pageOf, rowIdOfCursor } from "./rowid-page";

const p = sql.placeholder;
const rowId = sql<number>`${tenants}.rowid`;

type TenantRow = typeof tenants.$inferSelect;

function toRecord(row: TenantRow): TenantRecord {
  return { id: row.id, name: row.name, metadata: JSON.parse(row.metadata), createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function statements(db: Db) {
  return {
    byId: db.select().from(tenants).where(eq(tenants.id, p("id"))).prepare(),
    insert: db
      .insert(tenants)
      .values({ id: p("id"), name: p("name"), metadata: p("metadata"), createdAt: p("now"), updatedAt: p("now") })
      .prepare(),
    // A null parameter keeps the stored value (`keepName`: a PUT may set the name to null).
    update: db
      .update(tenants)
      .set({
        name: sql`CASE WHEN ${p("keepName")} = 1 THEN ${tenants.name} ELSE ${p("name")} END`,
        metadata: sql`coalesce(${p("metadata")}, ${tenants.metadata})`,
        updatedAt: sql`${p("now")}`,
      })
      .where(eq(tenants.id, p("id")))
      .prepare(),
    list: db
      .select({ rowId, row: tenants })
      .from(tenants)
      .where(sql`${p("before")} IS NULL OR ${rowId} < ${p("before")}`)
      .orderBy(desc(rowId))
      .limit(p("limit"))
      .prepare(),
    // Counted through the events (every delivery has one): both lookups walk an index.
    countDeliveries: db
      .select({ n: count() })
      .from(deliveries)
      .where(inArray(deliveries.eventId, db.select({ id: events.id }).from(events).where(eq(events.tenantId, p("id")))))
      .prepare(),
    deleteKeys: db.delete(apiKeys).where(eq(apiKeys.tenantId, p("id"))).prepare(),
    deleteEvents: db.delete(events).where(eq(events.tenantId, p("id"))).prepare(),
    deleteWebhooks: db.delete(webhooks).where(eq(webhooks.tenantId, p("id"))).prepare(),
    deleteTenant: db.delete(tenants).where(eq(tenants.id, p("id"))).prepare(),
  };
}

export class SqliteTenantStore implements TenantStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = statements(db);
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    const row = this.s.byId.get({ id });
    return row && toRecord(row);
  }

  async exists(id: string): Promise<boolean> {
    return this.existsNow(id);
  }

  /**
   * For the other SQLite stores, inside their own transaction: a row that must not outlive its
   * tenant (an event, a key) checks it there. `default` always exists (it cannot be deleted).
   */
  existsNow(id: string): boolean {
    return id === DEFAULT_TENANT || this.s.byId.get({ id }) !== undefined;
  }

  async put(id: string, changes: TenantChanges, now: number): Promise<{ tenant: TenantRecord; created: boolean }> {
    const metadata = changes.metadata === undefined ? null : JSON.stringify(changes.metadata);
    return this.db.transaction(
      () => {
        const created = !this.s.byId.get({ id });
        if (created) this.s.insert.run({ id, name: changes.name ?? null, metadata: metadata ?? "{}", now });
        else this.s.update.run({ id, keepName: changes.name === undefined ? 1 : 0, name: changes.name ?? null, metadata, now });
        return { tenant: toRecord(this.s.byId.get({ id })!), created };
      },
      { behavior: "immediate" },
    );
  }

  async list(page: PageRequest): Promise<Page<TenantRecord>> {
    const rows = this.s.list.all({ before: rowIdOfCursor(page.cursor), limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => toRecord(r.row));
  }

  async delete(id: string): Promise<RemovedWithTenant | undefined> {
    return this.db.transaction(
      () => {
        if (!this.s.byId.get({ id })) return undefined;
        const deliveriesRemoved = this.s.countDeliveries.get({ id })?.n ?? 0;
        const removed: RemovedWithTenant = {
          apiKeys: this.s.deleteKeys.run({ id }).changes,
          events: this.s.deleteEvents.run({ id }).changes,
          webhooks: this.s.deleteWebhooks.run({ id }).changes,
          deliveries: deliveriesRemoved,
        };
        this.s.deleteTenant.run({ id });
        return removed;
      },
      { behavior: "immediate" },
    );
  }
}
